"""ITR domain: the mirrored request (pure)."""
