"""The formulas of calculations.md 3, one module each; each returns its result fields before evidence status."""
