"""Reproducible benchmarks on real projects (`typehole bench SUITE`)."""
