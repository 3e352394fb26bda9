"""Scope use cases."""
