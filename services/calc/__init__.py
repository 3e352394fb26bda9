"""The calc service."""
