"""The itr service."""
