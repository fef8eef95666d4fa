; JavaScript definitions, imports and calls, as aider-style tag captures.
; `name.definition.<kind>` captures the defined name, `definition.<kind>` the whole definition,
; `import` an import statement, `name.reference.<kind>` a use (not stored by the index yet).

(function_declaration
  name: (identifier) @name.definition.function) @definition.function

(generator_function_declaration
  name: (identifier) @name.definition.function) @definition.function

(class_declaration
  name: (identifier) @name.definition.class) @definition.class

(method_definition
  name: [(property_identifier) (private_property_identifier)] @name.definition.method)
  @definition.method

; `const f = (a) => ...` and `const f = function (a) {...}`
(variable_declarator
  name: (identifier) @name.definition.function
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

; Module-level constants.
(program
  (lexical_declaration
    (variable_declarator name: (identifier) @name.definition.constant) @definition.constant))
(program
  (export_statement
    (lexical_declaration
      (variable_declarator name: (identifier) @name.definition.constant) @definition.constant)))

(import_statement) @import

; `const x = require("x")`
(lexical_declaration
  (variable_declarator
    value: (call_expression
      function: (identifier) @_require
      arguments: (arguments (string))))
  (#eq? @_require "require")) @import

(call_expression
  function: [(identifier) @name.reference.call
             (member_expression property: (property_identifier) @name.reference.call)])
  @reference.call

(new_expression constructor: (identifier) @name.reference.class) @reference.class
