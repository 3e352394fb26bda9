"""Gateway domain: who is calling."""
