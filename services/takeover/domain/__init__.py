"""Takeover domain: pure rules, no I/O."""
