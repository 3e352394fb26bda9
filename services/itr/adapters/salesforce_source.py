"""Salesforce through simple-salesforce (the RecordSource port): SOQL by watermark, queryAll for deleted rows, pages
by nextRecordsUrl, describe for the picklists, the deleted endpoint for purged records.

Authentication is a session id, or OAuth 2.0 client credentials against the instance's own token endpoint
(`<instance>/services/oauth2/token`, the My Domain URL Salesforce requires for that flow), exchanged here and handed
to simple-salesforce as a session. An expired session is re-authenticated once per call; REQUEST_LIMIT_EXCEEDED is
backed off exponentially. simple-salesforce's exceptions carry the request URL and body, so none of them leaves
this module: each becomes a domain error naming only the status and Salesforce's errorCode.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlparse

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from kernel.errors import RateLimited, Unavailable
from services.itr.domain import watermarks
from services.itr.domain.objects import PICKLISTS, MirroredObject
from services.itr.service_layer.ports import Records

T = TypeVar("T")
log = logging.getLogger(__name__)
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
DELETED_WINDOW = timedelta(days=29)  # the deleted endpoint answers for the last 30 days only
TOKEN_PATH = "/services/oauth2/token"


@dataclass(frozen=True)
class SalesforceSettings:
    instance_url: str
    api_version: str
    request_object: str
    session_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    max_attempts: int = 6           # tries of one call while Salesforce says REQUEST_LIMIT_EXCEEDED
    backoff_seconds: float = 2.0    # then 4, 8, … capped
    max_backoff_seconds: float = 60.0
    timeout_seconds: float = 120.0

    @classmethod
    def of(cls, settings: Any) -> SalesforceSettings:
        secret = settings.LEAF_SALESFORCE_SESSION_ID
        client_secret = settings.LEAF_SALESFORCE_CLIENT_SECRET
        return cls(settings.LEAF_SALESFORCE_INSTANCE_URL.rstrip("/"), settings.LEAF_SALESFORCE_API_VERSION,
                   settings.LEAF_SALESFORCE_REQUEST_OBJECT, secret.get_secret_value() if secret else None,
                   settings.LEAF_SALESFORCE_CLIENT_ID, client_secret.get_secret_value() if client_secret else None)


class SalesforceUnavailable(Unavailable):
    """Salesforce did not answer, or answered an error: the status and errorCode only, never its URL or body."""


def _error_code(error: SalesforceError) -> str:
    content = error.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))[:64]
    return ""


class _TimeoutSession(requests.Session):
    """A requests session whose every call has a timeout (simple-salesforce passes none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


class SalesforceSource:
    def __init__(self, settings: SalesforceSettings, sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.settings, self.sleep, self.now = settings, sleep, now
        # urllib3 names the host in its connection lines ("Starting new HTTPS connection (1): <instance>:443",
        # "Connection pool is full … <instance>"): the instance's name stays out of every log.
        logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
        self.hosts = tuple(h for h in {urlparse(settings.instance_url).hostname or ""} if h)
        self.session = _TimeoutSession(settings.timeout_seconds)
        self._client: Salesforce | None = None
        self.logins = 0

    # --- connection -------------------------------------------------------------------------------------------
    def _login(self) -> Salesforce:
        s = self.settings
        session_id, instance_url = s.session_id, s.instance_url
        if s.client_id and s.client_secret:
            session_id, instance_url = self._client_credentials()
        self.logins += 1
        return Salesforce(instance_url=instance_url, session_id=session_id, version=s.api_version, session=self.session)

    def _client_credentials(self) -> tuple[str, str]:
        s = self.settings
        try:
            answer = self.session.post(s.instance_url + TOKEN_PATH, data={
                "grant_type": "client_credentials", "client_id": s.client_id, "client_secret": s.client_secret})
        except requests.RequestException as exc:
            raise SalesforceUnavailable("salesforce_unreachable", f"the token endpoint: {type(exc).__name__}") from None
        body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
        if answer.status_code != 200 or "access_token" not in body:
            raise SalesforceUnavailable("salesforce_auth_failed",
                                        f"the token endpoint answered {answer.status_code} {body.get('error', '')}".strip())
        instance = body.get("instance_url") or s.instance_url
        if urlparse(instance).scheme != "https":
            raise SalesforceUnavailable("salesforce_auth_failed", "the token endpoint named an instance not on https")
        return body["access_token"], instance

    def _call(self, work: Callable[[Salesforce], T]) -> T:
        """One REST call: backed off while over the request limit, re-authenticated once on an expired session."""
        reauthenticated, attempt = False, 0
        while True:
            attempt += 1
            try:
                if self._client is None:
                    self._client = self._login()
                return work(self._client)
            except SalesforceExpiredSession:
                if reauthenticated or not (self.settings.client_id and self.settings.client_secret):
                    raise SalesforceUnavailable("salesforce_session_expired",
                                                "the Salesforce session expired or is invalid; set a fresh "
                                                "LEAF_SALESFORCE_SESSION_ID or use client credentials") from None
                log.info("salesforce session expired: authenticating again")
                reauthenticated, self._client = True, None
            except SalesforceError as error:
                code = _error_code(error)
                if code != "REQUEST_LIMIT_EXCEEDED":
                    raise SalesforceUnavailable("salesforce_error", f"Salesforce answered {error.status} {code}".strip()
                                                ) from None
                if attempt >= self.settings.max_attempts:
                    raise RateLimited("salesforce_request_limit", f"REQUEST_LIMIT_EXCEEDED after {attempt} tries") from None
                delay = min(self.settings.backoff_seconds * 2 ** (attempt - 1), self.settings.max_backoff_seconds)
                log.warning("salesforce request limit exceeded: waiting %.1f s (try %d)", delay, attempt)
                self.sleep(delay)
            except requests.RequestException as exc:
                raise SalesforceUnavailable("salesforce_unreachable", type(exc).__name__) from None

    def _pages(self, soql: str, include_deleted: bool) -> Iterator[Records]:
        answer = self._call(lambda sf: sf.query(soql, include_deleted=include_deleted))
        yield answer["records"]
        while not answer.get("done", True) and answer.get("nextRecordsUrl"):
            following = answer["nextRecordsUrl"]
            answer = self._call(lambda sf: sf.query_more(following, identifier_is_url=True))
            yield answer["records"]

    # --- the RecordSource port -----------------------------------------------------------------------------------
    def picklists(self, obj: MirroredObject) -> Mapping[str, Sequence[str]]:
        described = self._call(lambda sf: getattr(sf, obj.api_name).describe())
        found = {f["name"]: [v["value"] for v in f.get("picklistValues") or () if v.get("active", True)]
                 for f in described.get("fields", ()) if f.get("name") in PICKLISTS}
        return {name: found.get(name) or list(values) for name, values in PICKLISTS.items()}

    def changed(self, obj: MirroredObject, since: str) -> Iterator[Records]:
        where = [f"{obj.watermark_field} >= {watermarks.soql_literal(since)}"] if since else []
        if obj.parent_field and obj.stream != "history":
            where.append(f"{obj.parent_field} IN (SELECT Id FROM {self.settings.request_object})")
        soql = _select(obj, where) + f" ORDER BY {obj.watermark_field}, Id"
        yield from self._pages(soql, include_deleted=obj.deletable)

    def listing(self, obj: MirroredObject) -> Iterator[Records]:
        yield from self._pages(_select(obj, [f"{obj.parent_field} IN (SELECT Id FROM {self.settings.request_object})"]),
                               include_deleted=False)

    def by_documents(self, obj: MirroredObject, document_ids: Sequence[str]) -> Iterator[Records]:
        ids = [i for i in document_ids if SALESFORCE_ID.match(i)]  # ids only: nothing else reaches the SOQL
        if ids:
            field = "ContentDocumentId" if obj.stream == "versions" else "Id"
            quoted = ",".join(f"'{i}'" for i in ids)
            yield from self._pages(_select(obj, [f"{field} IN ({quoted})"]), include_deleted=False)

    def deleted_since(self, obj: MirroredObject, since: str) -> list[str]:
        end = self.now()
        start = max(watermarks.parse(since), end - DELETED_WINDOW) if since else end - DELETED_WINDOW
        answer = self._call(lambda sf: getattr(sf, obj.api_name).deleted(start, end))
        return [str(r["id"]) for r in answer.get("deletedRecords", ()) if SALESFORCE_ID.match(str(r.get("id", "")))]


def _select(obj: MirroredObject, where: list[str]) -> str:
    soql = f"SELECT {', '.join(obj.fields)} FROM {obj.api_name}"
    return soql + (" WHERE " + " AND ".join(where) if where else "")
