"""features: the capabilities as plain functions of (text, position, settings, backend)."""
