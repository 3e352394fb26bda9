"""Run the evidence service: `python -m services.evidence`."""
from runtime.entry import main
from services.evidence.bootstrap import EvidenceSettings, bootstrap

main("evidence", EvidenceSettings, bootstrap)
