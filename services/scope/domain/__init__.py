"""Scope domain: the registry model and resolution rules (pure)."""
