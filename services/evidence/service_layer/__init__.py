"""Evidence use cases."""
