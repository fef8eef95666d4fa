; Java definitions, imports and calls, as aider-style tag captures.
; `name.definition.<kind>` captures the defined name, `definition.<kind>` the whole definition,
; `import` an import declaration, `name.reference.<kind>` a use (not stored by the index yet).

(class_declaration
  name: (identifier) @name.definition.class) @definition.class

(record_declaration
  name: (identifier) @name.definition.class) @definition.class

(interface_declaration
  name: (identifier) @name.definition.interface) @definition.interface

(enum_declaration
  name: (identifier) @name.definition.enum) @definition.enum

(annotation_type_declaration
  name: (identifier) @name.definition.interface) @definition.interface

(method_declaration
  name: (identifier) @name.definition.method) @definition.method

(constructor_declaration
  name: (identifier) @name.definition.method) @definition.method

(field_declaration
  declarator: (variable_declarator
    name: (identifier) @name.definition.field)) @definition.field

(import_declaration) @import

(method_invocation name: (identifier) @name.reference.call) @reference.call
(object_creation_expression type: (type_identifier) @name.reference.class) @reference.class
(superclass (type_identifier) @name.reference.class) @reference.class
