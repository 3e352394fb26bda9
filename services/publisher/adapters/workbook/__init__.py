"""The run's workbook: XlsxWriter sheets drawn from the run context (workbook.py)."""
