"""Benchmarks of the clearing-house, each one command printing a table (see bench/README.md)."""
