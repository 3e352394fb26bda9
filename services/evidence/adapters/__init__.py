"""Evidence adapters: packet tables, repository, document sources."""
