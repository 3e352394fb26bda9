"""Calc adapters: claims stores, the evidence client, the run repository."""
