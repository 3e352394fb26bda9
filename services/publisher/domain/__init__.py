"""Publisher domain: dashboard-safe tables from one run context (pure)."""
