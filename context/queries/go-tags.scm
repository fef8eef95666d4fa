; Go definitions, imports and calls, as aider-style tag captures.
; `name.definition.<kind>` captures the defined name, `definition.<kind>` the whole definition,
; `import` one import spec, `name.reference.<kind>` a use (not stored by the index yet).

(function_declaration
  name: (identifier) @name.definition.function) @definition.function

(method_declaration
  name: (field_identifier) @name.definition.method) @definition.method

(type_spec
  name: (type_identifier) @name.definition.class
  type: (struct_type)) @definition.class

(type_spec
  name: (type_identifier) @name.definition.interface
  type: (interface_type)) @definition.interface

(type_spec
  name: (type_identifier) @name.definition.type
  type: (_) @_type
  (#not-match? @_type "^(struct|interface)")) @definition.type

(type_alias
  name: (type_identifier) @name.definition.type) @definition.type

(source_file
  (const_declaration
    (const_spec name: (identifier) @name.definition.constant) @definition.constant))
(source_file
  (var_declaration
    (var_spec name: (identifier) @name.definition.constant) @definition.constant))

(import_spec) @import

(call_expression
  function: [(identifier) @name.reference.call
             (selector_expression field: (field_identifier) @name.reference.call)])
  @reference.call
(type_identifier) @name.reference.type
