"""Publisher adapters: the publication store."""
