; TypeScript (and TSX) definitions, imports and calls, as aider-style tag captures.
; `name.definition.<kind>` captures the defined name, `definition.<kind>` the whole definition,
; `import` an import statement, `name.reference.<kind>` a use (not stored by the index yet).

(function_declaration
  name: (identifier) @name.definition.function) @definition.function

(generator_function_declaration
  name: (identifier) @name.definition.function) @definition.function

(function_signature
  name: (identifier) @name.definition.function) @definition.function

(class_declaration
  name: (type_identifier) @name.definition.class) @definition.class

(abstract_class_declaration
  name: (type_identifier) @name.definition.class) @definition.class

(interface_declaration
  name: (type_identifier) @name.definition.interface) @definition.interface

(type_alias_declaration
  name: (type_identifier) @name.definition.type) @definition.type

(enum_declaration
  name: (identifier) @name.definition.enum) @definition.enum

(method_definition
  name: [(property_identifier) (private_property_identifier)] @name.definition.method)
  @definition.method

(method_signature
  name: (property_identifier) @name.definition.method) @definition.method

(abstract_method_signature
  name: (property_identifier) @name.definition.method) @definition.method

(variable_declarator
  name: (identifier) @name.definition.function
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function

(program
  (lexical_declaration
    (variable_declarator name: (identifier) @name.definition.constant) @definition.constant))
(program
  (export_statement
    (lexical_declaration
      (variable_declarator name: (identifier) @name.definition.constant) @definition.constant)))

(import_statement) @import

(call_expression
  function: [(identifier) @name.reference.call
             (member_expression property: (property_identifier) @name.reference.call)])
  @reference.call

(type_annotation (type_identifier) @name.reference.type) @reference.type
(new_expression constructor: (identifier) @name.reference.class) @reference.class
