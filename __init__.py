"""typehole: AI code suggestions grounded in static analysis, served over LSP."""

__version__ = "0.1.0"
