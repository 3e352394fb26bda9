"""Run the evidence service: `python -m services.evidence`."""
from runtime.entry import main
from services.evidence.bootstrap import EvidenceServiceSettings, bootstrap

main("evidence", EvidenceServiceSettings, bootstrap)
