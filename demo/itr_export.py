"""A synthetic Salesforce export of IT requests for the demo clients (itr.md 2): each object file is what queryAll
returns, with history, file metadata and checksums, notes, feed items and comments.

`python -m demo.itr_export` rewrites the shipped export (demo/itr_export/); the bench calls `write_export` with tens
of thousands of requests. Deterministic for a seed. A few records are bad on purpose (the demo's data-quality
findings): a request with no subject, one with a status the picklist does not define, a file with no checksum;
and one request whose run plan is ambiguous (C003 in 2025 with no PBM: the client moved PBMs in July).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from demo import DEMO_DIR, load_registry

EXPORT_DIR = DEMO_DIR / "itr_export"
API_VERSION = "62.0"
START = datetime(2025, 1, 6, 14, 0, tzinfo=UTC)
OWNERS = ("0055g00000AbCdEAAV", "0055g00000AbCdFAAV", "0055g00000AbCdGAAV")
STATUS_PATH = ("New", "Triage", "In Progress", "Done")
ASKS = (("AWP guarantee audit", "Workbook;PDF"), ("Rebate reconciliation", "Workbook;Dashboard"),
        ("Dispensing fee true-up", "PDF"), ("Claims extract for the broker", "Extract"),
        ("Repricing against the renewal proposal", "Repricing;Workbook;PDF"), ("Quarterly dashboard refresh", "Dashboard"))
PREFIX = {"request": "a0B", "history": "017", "link": "06A", "version": "068", "document": "069", "feed": "0D5",
          "comment": "0D7"}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def sf_id(kind: str, n: int) -> str:
    """An 18-character Salesforce id: key prefix, pod, counter, and the case-safe suffix Salesforce appends."""
    digits = ""
    while n or not digits:
        n, rest = divmod(n, 62)
        digits = _BASE62[rest] + digits
    base = f"{PREFIX[kind]}5g{digits.rjust(10, '0')}"
    suffix = "".join(_SUFFIX[sum(1 << i for i, c in enumerate(base[j:j + 5]) if c.isupper())] for j in (0, 5, 10))
    return base + suffix


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _record(obj: str, record_id: str, **fields) -> dict:
    return {"attributes": {"type": obj, "url": f"/services/data/v{API_VERSION}/sobjects/{obj}/{record_id}"},
            "Id": record_id, **fields}


class _Org:
    """Builds every object's records; counters make ids unique across requests."""

    def __init__(self, seed: int, request_object: str) -> None:
        self.rng = random.Random(seed)
        self.request_object = request_object
        self.history_object = f"{request_object.removesuffix('__c')}__History"
        self.files: dict[str, list[dict]] = {name: [] for name in (
            request_object, self.history_object, "ContentDocumentLink", "ContentVersion", "ContentNote", "FeedItem",
            "FeedComment")}
        self.counters: dict[str, int] = {}

    def next_id(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return sf_id(kind, self.counters[kind])

    def add(self, obj: str, record: dict) -> None:
        self.files[obj].append(record)


def _plans_by_client() -> dict[str, list[dict]]:
    registry = load_registry()
    groups: dict[str, list[str]] = {}
    for g in registry["groups"]:
        groups.setdefault(g["client_id"], []).append(g["group_id"])
    plans: dict[str, list[dict]] = {}
    for p in registry["plans"]:
        plans.setdefault(p["client_id"], []).append({**p, "groups": groups.get(p["client_id"], [])})
    return plans


def _request(org: _Org, n: int, plan: dict, client_name: str, history: int, when: datetime) -> str:
    rng, request_id = org.rng, org.next_id("request")
    ask, deliverables = ASKS[n % len(ASKS)]
    year = plan["valid_from"][:4] if n % 3 else plan["valid_to"][:4]
    groups = rng.sample(plan["groups"], k=min(len(plan["groups"]), rng.choice((0, 0, 1, 2)))) if plan["groups"] else []
    status_index = min(len(STATUS_PATH) - 1, history // 3 if history < 9 else 3)
    changes, moment = [], when
    for h in range(history):
        moment += timedelta(hours=rng.randint(1, 40), seconds=rng.randint(0, 59))
        field = ("Status__c", "Priority__c", "OwnerId", "Description__c")[h % 4]
        old, new = (STATUS_PATH[min(h // 4, 3)], STATUS_PATH[min(h // 4 + 1, 3)]) if field == "Status__c" else (
            ("Medium", "High") if field == "Priority__c" else (OWNERS[h % 3], OWNERS[(h + 1) % 3])
            if field == "OwnerId" else (None, None))
        changes.append(_record(org.history_object, org.next_id("history"), ParentId=request_id, Field=field,
                               OldValue=old, NewValue=new, CreatedById=OWNERS[h % 3], CreatedDate=stamp(moment)))
    modstamp = moment + timedelta(minutes=rng.randint(1, 30))
    org.add(org.request_object, _record(
        org.request_object, request_id, Name=f"ITR-{n + 1:06d}",
        Subject__c=f"{year} {ask} for {client_name}",
        Description__c=f"{client_name} asked for the {ask.lower()} covering {year} with {plan['pbm_id']}.",
        Status__c=STATUS_PATH[status_index], Priority__c=("Low", "Medium", "High", "Urgent")[n % 4],
        Client_Id__c=plan["client_id"], PBM_Id__c=plan["pbm_id"], TPA_Id__c=plan["tpa_id"],
        Group_Ids__c=";".join(sorted(groups)) or None, Period_Start__c=f"{year}-01-01", Period_End__c=f"{year}-12-31",
        Deliverables__c=deliverables, OwnerId=OWNERS[n % 3], CreatedDate=stamp(when),
        LastModifiedDate=stamp(modstamp), SystemModstamp=stamp(modstamp), IsDeleted=False))
    for record in changes:
        org.add(org.history_object, record)
    return request_id


def _files_and_feed(org: _Org, request_id: str, n: int, when: datetime, files: int) -> None:
    rng = org.rng
    for f in range(files):
        document_id = org.next_id("document")
        org.add("ContentDocumentLink", _record("ContentDocumentLink", org.next_id("link"), LinkedEntityId=request_id,
                                               ContentDocumentId=document_id))
        title, extension = (("PBM contract excerpt", "pdf"), ("Claims sample", "csv"), ("Scope worksheet", "xlsx"))[f % 3]
        latest = 2 if f == 0 and n % 2 else 1
        for version in range(1, latest + 1):
            body = f"{request_id}/{document_id}/{version}".encode()
            version_id = org.next_id("version")
            org.add("ContentVersion", _record(
                "ContentVersion", version_id, ContentDocumentId=document_id, Title=f"{title} v{version}",
                FileExtension=extension, ContentSize=2048 + len(body) * 97 + rng.randint(0, 50000),
                Checksum=hashlib.md5(body).hexdigest(), VersionNumber=str(version), IsLatest=version == latest,
                SystemModstamp=stamp(when + timedelta(hours=version)),
                VersionData=f"/services/data/v{API_VERSION}/sobjects/ContentVersion/{version_id}/VersionData"))
    if n % 2 == 0:
        note_id = org.next_id("document")
        org.add("ContentDocumentLink", _record("ContentDocumentLink", org.next_id("link"), LinkedEntityId=request_id,
                                               ContentDocumentId=note_id))
        org.add("ContentNote", _record("ContentNote", note_id, Title=f"Call notes {when:%Y-%m-%d}",
                                       TextPreview="Client confirmed the period and the groups in scope; "
                                                   "contract amendment 2 applies from July.",
                                       CreatedDate=stamp(when + timedelta(hours=2)),
                                       LastModifiedDate=stamp(when + timedelta(hours=3))))
    if n % 3 != 2:
        feed_id = org.next_id("feed")
        posted = when + timedelta(hours=5)
        org.add("FeedItem", _record("FeedItem", feed_id, ParentId=request_id, Type="TextPost",
                                    Body="<p>Scope confirmed with the account team; starting the extract.</p>",
                                    CreatedById=OWNERS[n % 3], CreatedDate=stamp(posted), SystemModstamp=stamp(posted),
                                    IsDeleted=False))
        org.add("FeedComment", _record("FeedComment", org.next_id("comment"), FeedItemId=feed_id, ParentId=request_id,
                                       CommentBody="Thanks: please include the retiree group.",
                                       CreatedById=OWNERS[(n + 1) % 3], CreatedDate=stamp(posted + timedelta(hours=1)),
                                       IsDeleted=False))


def _spoil(org: _Org) -> None:
    """The demo's data-quality findings (mirrored and flagged, never dropped) and one request deleted in Salesforce."""
    requests = org.files[org.request_object]
    requests[1]["Subject__c"] = None                  # missing required field
    requests[3]["Status__c"] = "Waiting on PBM"       # not a Status__c value
    requests[-1]["IsDeleted"] = True                  # in the recycle bin: queryAll still lists it
    # People paste record links into text: the mirror keeps the words and drops the link.
    requests[5]["Description__c"] += (f" Background: https://leafhealth.my.salesforce.com/lightning/r/"
                                      f"{org.request_object}/{requests[0]['Id']}/view")
    org.files["ContentVersion"][0]["Checksum"] = None  # a file without a checksum


def _leave_open(org: _Org) -> None:
    """One ask the scope registry cannot settle alone: C003 changed PBM in July 2025 and the requester named none, so
    its run plan is ambiguous (PBM_A to June, PBM_B from July) until an operator chooses (docs/itr.md, run plans)."""
    request = next((r for r in org.files[org.request_object][8:]
                    if r["Client_Id__c"] == "C003" and r["Period_Start__c"] == "2025-01-01"), None)
    if request is not None:
        request["PBM_Id__c"] = None
        request["Description__c"] = (request["Description__c"].rsplit(" with ", 1)[0] + ". The client moved PBMs in "
                                     "July; the requester did not say which one.")


def build_export(requests: int = 24, history_per_request: int | None = None, seed: int = 14,
                 request_object: str = "IT_Request__c") -> dict[str, list[dict]]:
    """Records per object file: `requests` spread over the demo clients' plans; history rows per request vary
    from 3 to 8 unless `history_per_request` fixes them."""
    registry = load_registry()
    names = {c["client_id"]: c["name"] for c in registry["clients"]}
    plans = _plans_by_client()
    clients = sorted(plans)
    org = _Org(seed, request_object)
    for n in range(requests):
        client = clients[n % len(clients)]
        plan = plans[client][(n // len(clients)) % len(plans[client])]
        when = START + timedelta(hours=n * 7, seconds=n % 60)
        history = history_per_request if history_per_request is not None else org.rng.randint(3, 8)
        request_id = _request(org, n, plan, names[client], history, when)
        _files_and_feed(org, request_id, n, when, files=(0, 1, 2)[n % 3])
    if requests >= 6:
        _spoil(org)
        _leave_open(org)
    return org.files


def write_export(folder: Path, records: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for obj, rows in records.items():
        body = {"totalSize": len(rows), "done": True, "records": rows}
        (folder / f"{obj}.json").write_text(json.dumps(body, indent=1 if len(rows) < 1000 else None) + "\n",
                                            encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--out", type=Path, default=EXPORT_DIR)
    args.add_argument("--requests", type=int, default=24)
    parsed = args.parse_args(argv)
    write_export(parsed.out, build_export(parsed.requests))


if __name__ == "__main__":
    main()
