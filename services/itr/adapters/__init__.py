"""ITR adapters: mirror tables."""
