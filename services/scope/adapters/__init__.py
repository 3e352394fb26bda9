"""Scope adapters: tables and repository."""
