"""base: positions, the tree-sitter shim, the scanner, the code lexer; imports nothing else."""
