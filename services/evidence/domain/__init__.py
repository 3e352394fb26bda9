"""Evidence domain: which packet covers a scope (pure)."""
