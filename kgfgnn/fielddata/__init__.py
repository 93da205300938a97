"""Measured field data sets (each in a module of its own)."""
