; Rust definitions, imports and calls, as aider-style tag captures.
; `name.definition.<kind>` captures the defined name, `definition.<kind>` the whole definition,
; `import` a `use` declaration, `name.reference.<kind>` a use (not stored by the index yet).

(function_item
  name: (identifier) @name.definition.function) @definition.function

(function_signature_item
  name: (identifier) @name.definition.function) @definition.function

(struct_item
  name: (type_identifier) @name.definition.class) @definition.class

(enum_item
  name: (type_identifier) @name.definition.class) @definition.class

(union_item
  name: (type_identifier) @name.definition.class) @definition.class

(trait_item
  name: (type_identifier) @name.definition.interface) @definition.interface

(type_item
  name: (type_identifier) @name.definition.type) @definition.type

(macro_definition
  name: (identifier) @name.definition.macro) @definition.macro

(source_file
  (const_item name: (identifier) @name.definition.constant) @definition.constant)
(source_file
  (static_item name: (identifier) @name.definition.constant) @definition.constant)

(use_declaration) @import

(call_expression
  function: [(identifier) @name.reference.call
             (field_expression field: (field_identifier) @name.reference.call)
             (scoped_identifier name: (identifier) @name.reference.call)])
  @reference.call
(macro_invocation macro: (identifier) @name.reference.macro) @reference.macro
