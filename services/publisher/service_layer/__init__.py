"""Publisher use cases."""
