"""The demo's source documents: a one-page PDF per contract packet, byte-for-byte reproducible (ReportLab invariant mode)."""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from demo import ONEDRIVE_DIR


def contract_pdf(packet: dict) -> bytes:
    """What the executed contract says, as the packet was extracted from it."""
    out = io.BytesIO()
    page = Canvas(out, pagesize=letter, invariant=1, pageCompression=0)
    page.setTitle(f"{packet['packet_id']} (synthetic demo contract)")
    page.setFont("Helvetica-Bold", 14)
    page.drawString(72, 720, f"Pharmacy benefit agreement — {packet['client_id']} and {packet['pbm_id']}")
    page.setFont("Helvetica", 10)
    lines = [f"Effective {packet['effective_from']} through {packet['effective_to']}",
             f"Offset: {packet['offset']}; exclusions: {json.dumps(packet['exclusions'], sort_keys=True)}", ""]
    lines += [f"{t['channel']:<10} {t['brand_generic']}  AWP discount {t['awp_discount']}  dispensing fee "
              f"{t['dispensing_fee']}  rebate per claim {t['rebate_per_claim'] or '-'}" for t in packet["terms"]]
    for number, line in enumerate(lines):
        page.drawString(72, 690 - 14 * number, line)
    page.drawString(72, 72, "Synthetic document for the LeafEnterprise demo; not a real agreement.")
    page.save()
    return out.getvalue()


def write_documents(tree: Path = ONEDRIVE_DIR) -> int:
    """Write each contract's PDF at its source.path and record its sha256 in the packet; returns how many."""
    written = 0
    for packet_file in sorted(tree.glob("Clients/*/*/contract-*.packet.json")):
        packet = json.loads(packet_file.read_text(encoding="utf-8"))
        document = contract_pdf(packet)
        (tree / packet["source"]["path"]).write_bytes(document)
        packet["source"]["sha256"] = hashlib.sha256(document).hexdigest()
        packet_file.write_text(json.dumps(packet, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written += 1
    return written


if __name__ == "__main__":
    print(f"{write_documents()} contract documents written")
