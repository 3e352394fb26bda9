"""The takeover service: Domo exports as migration and reconciliation evidence."""
