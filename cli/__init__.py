"""The `leaf` command: the one entry point for people."""
