"""tree-sitter behind one small shim: parse text, find nodes. Owned by the completion-stages work."""
