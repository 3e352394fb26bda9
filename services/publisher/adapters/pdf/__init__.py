"""The run's PDF report: ReportLab pages and matplotlib charts drawn from the run context (report_pdf.py)."""
