"""Calc use cases."""
