; Python definitions and imports, as aider-style tag captures.
; `name.definition.<kind>` captures the defined name, `definition.<kind>` the whole definition.

(class_definition
  name: (identifier) @name.definition.class) @definition.class

(function_definition
  name: (identifier) @name.definition.function) @definition.function

; Module-level variables (constants, type aliases, module singletons).
(module
  (expression_statement
    (assignment
      left: (identifier) @name.definition.constant) @definition.constant))

; Class-level fields: `x: int = 0` in dataclasses, attrs classes, NamedTuples, plain classes.
(class_definition
  body: (block
    (expression_statement
      (assignment
        left: (identifier) @name.definition.field) @definition.field)))

; Instance attributes set in `__init__`: `self.x = ...` / `self.x: T = ...`.
(function_definition
  name: (identifier) @_init
  body: (block
    (expression_statement
      (assignment
        left: (attribute
          object: (identifier) @_self
          attribute: (identifier) @name.definition.attribute)) @definition.attribute))
  (#eq? @_init "__init__")
  (#eq? @_self "self"))

(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import
