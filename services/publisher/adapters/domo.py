"""Domo publishing through pydomo: shared `leaf_<table>` datasets, replace-by-scope data, reconciled PDP policies.

pydomo's high-level clients raise a bare Exception carrying only the body, so throttling cannot be told
from a bad request; the adapter therefore calls pydomo's transport (which still owns the token, its
renewal, the host and the headers) and reads each status itself: 429 waits Retry-After, 5xx backs off
exponentially, both bounded; any other 4xx stops with a message that names the call, never a credential.
pydomo has no verify option (it calls `requests` directly), so a private CA is trusted via REQUESTS_CA_BUNDLE.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import requests
from pydantic import SecretStr, model_validator
from pydomo import Domo

from kernel.errors import NotReady, Unavailable
from runtime.settings import LeafSettings
from services.publisher.adapters.domo_outbox import DomoOutbox
from services.publisher.domain.dashboard import Table
from services.publisher.domain.domo_plan import (
    DESCRIPTION,
    POLICY_PREFIX,
    Column,
    DatasetPlan,
    DatasetSummary,
    Entitlement,
    Policy,
    PublishSummary,
    merge,
    parse_csv,
    plan_datasets,
    plan_policies,
    to_csv_text,
)

log = logging.getLogger(__name__)
DOMO_SETTINGS = ("LEAF_DOMO_API_HOST", "LEAF_DOMO_CLIENT_ID", "LEAF_DOMO_CLIENT_SECRET")


class DomoSettings(LeafSettings):
    embedded_defaults = ("LEAF_DOMO_API_HOST",)   # production publishes to Domo, never to the local outbox
    LEAF_DOMO_API_HOST: str | None = None          # host[:port], e.g. api.domo.com; pydomo always adds https://
    LEAF_DOMO_CLIENT_ID: str | None = None
    LEAF_DOMO_CLIENT_SECRET: SecretStr | None = None
    # shared: one dataset per table, clients kept apart by row policies; per_client: datasets of their own.
    LEAF_DOMO_DATASETS: Literal["shared", "per_client"] = "shared"

    @model_validator(mode="after")
    def _domo_settings_come_together(self):
        missing = [name for name in DOMO_SETTINGS if not getattr(self, name)]
        if missing and len(missing) < len(DOMO_SETTINGS):
            raise ValueError(f"Domo publishing needs every LEAF_DOMO_* setting; set {', '.join(missing)}")
        if self.LEAF_DOMO_API_HOST and "://" in self.LEAF_DOMO_API_HOST.removeprefix("https://"):
            raise ValueError("LEAF_DOMO_API_HOST must be host[:port] (HTTPS only)")
        return self


def domo_publisher(settings: DomoSettings) -> DomoPublisher | DomoOutbox:
    """Domo when LEAF_DOMO_* is set, else the local outbox under LEAF_HOME."""
    per_client = settings.LEAF_DOMO_DATASETS == "per_client"
    if not settings.LEAF_DOMO_API_HOST:
        return DomoOutbox(Path(settings.LEAF_HOME) / "domo_outbox", per_client=per_client)
    return DomoPublisher(settings.LEAF_DOMO_API_HOST.removeprefix("https://"), settings.LEAF_DOMO_CLIENT_ID,
                         settings.LEAF_DOMO_CLIENT_SECRET.get_secret_value(), per_client=per_client)


class DomoPublisher:
    """One publish: plan, then per dataset find-or-create, merge, upload when changed, reconcile policies."""

    def __init__(self, api_host: str, client_id: str, client_secret: str, *, stream_threshold_rows: int = 50_000,
                 part_rows: int = 10_000, max_attempts: int = 5, backoff_seconds: float = 0.5,
                 max_delay_seconds: float = 30.0, timeout_seconds: float = 60.0, per_client: bool = False) -> None:
        self._host, self._client_id, self._secret = api_host, client_id, client_secret
        self.per_client = per_client
        self.stream_threshold_rows, self.part_rows = stream_threshold_rows, part_rows
        self.max_attempts, self.backoff, self.max_delay = max_attempts, backoff_seconds, max_delay_seconds
        self.timeout = timeout_seconds
        self._domo: Domo | None = None

    def publish(self, run_id: str, client_id: str, tables: list[Table], entitlements: Iterable[Entitlement],
                fence: Callable[[], None] = lambda: None) -> PublishSummary:
        """`fence` is called before each dataset is read, merged and written: it raises if this publisher is no
        longer the single writer (adapters/lease.py)."""
        plans, entitlements = plan_datasets(run_id, client_id, tables, self.per_client), list(entitlements)
        principals = self._principals()
        unresolved: set[str] = set()
        summaries = []
        for plan in plans:
            fence()
            summaries.append(self._publish_one(plan, entitlements, principals, unresolved))
        return PublishSummary(run_id, client_id, "domo", tuple(summaries), tuple(sorted(unresolved)))

    # --- one dataset -------------------------------------------------------------------------------------
    def _publish_one(self, plan: DatasetPlan, entitlements: list[Entitlement], principals: dict,
                     unresolved: set[str]) -> DatasetSummary:
        dataset, stream_id = self._find_dataset(plan.name), None
        created = dataset is None
        if created:
            stream = self._json("create stream", lambda t: t.post("/v1/streams", {
                "dataSet": {"name": plan.name, "description": DESCRIPTION, "rows": 0, "schema": _schema(plan.schema)},
                "updateMethod": "REPLACE"}, {}), idempotent=False)
            dataset, stream_id = stream["dataSet"], stream["id"]
            log.info("domo: created dataset %s (%s) with stream %s", plan.name, dataset["id"], stream_id)
        current_schema = [Column(c["name"], c["type"]) for c in dataset.get("schema", {}).get("columns", [])]
        current_rows = [] if created else self._export(dataset["id"])
        schema, rows = merge(plan, current_schema, current_rows)
        if list(schema) != current_schema or not dataset.get("pdpEnabled"):
            self._call("update dataset", lambda t: t.put(f"/v1/datasets/{dataset['id']}", {
                "name": plan.name, "description": DESCRIPTION, "schema": _schema(schema), "pdpEnabled": True}))
        unchanged = list(schema) == current_schema and tuple(current_rows) == rows
        upload = "none" if unchanged else self._upload(dataset["id"], stream_id, schema, rows)
        changes = self._reconcile(dataset["id"], plan_policies(plan.entitlements(entitlements), rows), principals, unresolved)
        return DatasetSummary(plan.name, str(dataset["id"]), created, len(rows), upload, *changes)

    def _find_dataset(self, name: str) -> dict | None:
        found, offset = [], 0
        while True:
            page = self._json("list datasets", lambda t: t.get("/v1/datasets", {
                "sort": "name", "limit": 50, "offset": offset, "nameLike": name}))
            found += [d for d in page if d.get("name") == name]
            if len(page) < 50:
                break
            offset += 50
        if len(found) > 1:
            raise NotReady("domo_ambiguous_dataset", f"Domo holds {len(found)} datasets named {name}; keep one")
        return self._json("get dataset", lambda t: t.get(f"/v1/datasets/{found[0]['id']}", {})) if found else None

    def _export(self, dataset_id: str) -> list[dict[str, str]]:
        response = self._call("export data", lambda t: t.get_csv(f"/v1/datasets/{dataset_id}/data",
                                                                  {"includeHeader": "true"}))
        return parse_csv(response.content)[1]

    def _upload(self, dataset_id: str, stream_id, schema: tuple[Column, ...], rows: tuple[dict, ...]) -> str:
        if len(rows) <= self.stream_threshold_rows:
            self._call("import data", lambda t: t.put_csv(f"/v1/datasets/{dataset_id}/data?updateMethod=REPLACE",
                                                          to_csv_text(schema, rows, header=False)))
            return "import"
        stream_id = stream_id or self._stream_of(dataset_id)
        execution = self._json("create execution", lambda t: t.post(f"/v1/streams/{stream_id}/executions",
                                                                    {"updateMethod": "REPLACE"}, {}), idempotent=False)
        base = f"/v1/streams/{stream_id}/executions/{execution['id']}"
        for part, start in enumerate(range(0, len(rows), self.part_rows), start=1):
            data = to_csv_text(schema, rows[start:start + self.part_rows], header=False)
            self._call("upload part", lambda t: t.put_csv(f"{base}/part/{part}", data))
        self._call("commit execution", lambda t: t.put(f"{base}/commit", {}))
        return "stream"

    def _stream_of(self, dataset_id: str):
        streams = self._json("search streams", lambda t: t.get("/v1/streams/search",
                                                               {"q": f"dataSource.id:{dataset_id}", "fields": "all"}))
        ids = [s["id"] for s in streams if str(s.get("dataSet", {}).get("id")) == str(dataset_id)]
        if not ids:
            raise NotReady("domo_no_stream", f"dataset {dataset_id} has no stream; large uploads need one")
        return ids[0]

    # --- PDP ---------------------------------------------------------------------------------------------
    def _reconcile(self, dataset_id: str, wanted: tuple[Policy, ...], principals: dict, unresolved: set[str]):
        url = f"/v1/datasets/{dataset_id}/policies"
        ours: dict[str, dict] = {}
        deleted: list[str] = []
        for policy in self._json("list policies", lambda t: t.get(url, {})):
            if not str(policy.get("name", "")).startswith(POLICY_PREFIX):
                continue                                    # a policy someone made in Domo: not ours to touch
            if policy["name"] in ours:                      # a duplicate (e.g. an interrupted publish): keep one
                self._call("delete policy", lambda t: t.delete(f"{url}/{policy['id']}"))
                deleted.append(policy["name"])
            else:
                ours[policy["name"]] = policy
        created, updated, keep = [], [], set()
        for policy in wanted:
            if _principal_key(policy.principal) not in principals:
                unresolved.add(policy.principal)            # unknown in Domo: no policy, so it sees nothing
                continue
            kind, member = principals[_principal_key(policy.principal)]
            body = {"name": policy.name, "type": "user", "filters": policy.filter_json(),
                    "users": [member] if kind == "users" else [], "groups": [member] if kind == "groups" else []}
            keep.add(policy.name)
            existing = ours.get(policy.name)
            if existing is None:
                self._call("create policy", lambda t: t.post(url, body, {}))
                created.append(policy.name)
            elif _policy_key(existing) != _policy_key(body):
                self._call("update policy", lambda t: t.put(f"{url}/{existing['id']}", body))
                updated.append(policy.name)
        for name, policy in ours.items():
            if name not in keep:
                self._call("delete policy", lambda t: t.delete(f"{url}/{policy['id']}"))
                deleted.append(name)
        return tuple(created), tuple(updated), tuple(deleted)

    def _principals(self) -> dict[str, tuple[str, int]]:
        """Domo group name → ("groups", id), user email (lower case) → ("users", id), paged 500 at a time."""
        found: dict[str, tuple[str, int]] = {}
        for kind, key in (("groups", "name"), ("users", "email")):
            offset = 0
            while True:
                page = self._json(f"list {kind}", lambda t: t.get(f"/v1/{kind}", {"limit": 500, "offset": offset}))
                found.update({_principal_key(str(item[key])): (kind, item["id"]) for item in page
                              if ("@" in str(item[key])) == (kind == "users")})
                if len(page) < 500:
                    break
                offset += 500
        return found

    # --- HTTP with bounded retries -------------------------------------------------------------------------
    def _transport(self):
        if self._domo is None:
            try:   # pydomo logs request dumps (Basic credentials, bearer token) at DEBUG: pin its logger to WARNING
                self._domo = Domo(self._client_id, self._secret, api_host=self._host, logger_name="leaf_publisher",
                                  log_level=logging.WARNING, request_timeout=self.timeout, scope=["data", "user"])
            except Exception:
                raise Unavailable("domo_token", "Domo gave no access token: check LEAF_DOMO_API_HOST, "
                                                "LEAF_DOMO_CLIENT_ID and LEAF_DOMO_CLIENT_SECRET, or retry later") from None
        return self._domo.transport

    def _json(self, label: str, send: Callable, idempotent: bool = True):
        return self._call(label, send, idempotent).json()

    def _call(self, label: str, send: Callable, idempotent: bool = True) -> requests.Response:
        """`send` with retries; a create that may have happened (5xx, lost answer) is not repeated: Domo would
        hold two datasets of one name, so the error surfaces and the next publish finds the one created."""
        attempts = self.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                response = send(self._transport())
                response.content  # noqa: B018 - pydomo streams responses: read the body so the connection is released
            except requests.RequestException as exc:
                status, delay = type(exc).__name__, self.backoff * 2 ** (attempt - 1)
                attempts = attempts if idempotent else attempt
            except Exception:   # pydomo renewing an expired token raises a bare Exception holding the body
                raise Unavailable("domo_token", f"Domo gave no new access token during {label}") from None
            else:
                status = response.status_code
                if status < 300:
                    return response
                if status != 429 and status < 500:
                    raise NotReady("domo_rejected", f"Domo refused {label} ({status}): {self._reason(response)}")
                delay = _retry_after(response) if status == 429 else None
                delay = self.backoff * 2 ** (attempt - 1) if delay is None else delay
                attempts = attempts if idempotent or status == 429 else attempt   # a 429 was never processed
            if attempt == attempts:
                raise Unavailable("domo_unavailable", f"Domo {label} still failing ({status}) after {attempt} attempts")
            log.warning("domo: %s answered %s; retry %d of %d", label, status, attempt, attempts - 1)
            time.sleep(min(delay, self.max_delay))
        raise AssertionError("unreachable")

    def _reason(self, response: requests.Response) -> str:
        try:
            body = response.json()
            text = str(body.get("message") or body.get("error_description") or body if isinstance(body, dict) else body)
        except ValueError:
            text = response.text
        token = getattr(self._domo.transport, "access_token", None) if self._domo else None
        for secret in filter(None, (self._secret, token)):
            text = text.replace(secret, "***")
        return text[:300]


def _schema(columns: Iterable[Column]) -> dict:
    return {"columns": [{"type": c.type, "name": c.name} for c in columns]}


def _principal_key(principal: str) -> str:
    """An email is matched case-insensitively (Domo stores it as typed); a group name exactly."""
    return principal.lower() if "@" in principal else principal


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _policy_key(policy: dict) -> tuple:
    filters = tuple((f["column"], tuple(map(str, f.get("values", []))), f.get("operator", "EQUALS"),
                     bool(f.get("not"))) for f in policy.get("filters", []))
    ids = lambda items: tuple(sorted(str(i["id"] if isinstance(i, dict) else i) for i in items or []))  # noqa: E731
    return filters, ids(policy.get("users")), ids(policy.get("groups"))
