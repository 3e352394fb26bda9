"""The scope service."""
