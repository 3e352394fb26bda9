"""Tasks use cases."""
