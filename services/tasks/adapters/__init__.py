"""Tasks adapters: the durable ledger table."""
