"""ITR use cases."""
