"""Wiring of the Graph SDK: an azure-identity credential and a CA-pinned httpx client with Graph's default middleware."""
from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from azure.identity.aio import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


@dataclass(frozen=True)
class GraphConnection:
    base_url: str                       # e.g. https://graph.microsoft.com/v1.0 (a local stand-in in tests)
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    drive_id: str
    root: str                           # drive folder holding `<client_id>/<pbm_id>/<document>`, e.g. "Clients"
    authority: str = "https://login.microsoftonline.com"
    ca_file: str | None = None          # trust only this CA (tests); None: the system trust store


@dataclass
class GraphSession:
    graph: GraphServiceClient
    credential: ClientSecretCredential
    http: httpx.AsyncClient

    async def close(self) -> None:
        await self.http.aclose()
        await self.credential.close()


def open_session(conn: GraphConnection) -> GraphSession:
    # Instance discovery would call the public cloud's metadata endpoint; the authority is configured, not discovered.
    credential = ClientSecretCredential(conn.tenant_id, conn.client_id, conn.client_secret, authority=conn.authority,
                                        disable_instance_discovery=True, connection_verify=conn.ca_file or True)
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE],
                                               allowed_hosts=[urlsplit(conn.base_url).hostname or ""])
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=conn.ca_file) if conn.ca_file else True
    # HTTP/1.1 only: the HTTP/2 header codec logs raw headers (the bearer token) at DEBUG.
    timeout = httpx.Timeout(60.0, connect=10.0)
    http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(verify=verify, timeout=timeout))
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = conn.base_url.rstrip("/")
    return GraphSession(GraphServiceClient(request_adapter=adapter), credential, http)


class OriginOnlyUrls(logging.Filter):
    """httpx logs each request URL; Graph URLs can carry tokens (`tempauth=`, skip/delta tokens), so keep the origin."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_origin(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"


class EventNameOnly(logging.Filter):
    """httpcore's DEBUG traces print response headers, among them a download redirect's `Location` with `tempauth=`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = record.getMessage().split(" ", 1)[0], ()
        return True


class NoTokenCacheEvents(logging.Filter):
    """MSAL's token cache logs each token response at DEBUG (token masked, but token material stays out of our logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("event=")


SECRET_BEARING_LOGS = {"msal.token_cache": NoTokenCacheEvents, "httpx": OriginOnlyUrls,
                       "httpcore.connection": EventNameOnly, "httpcore.http11": EventNameOnly,
                    "httpcore.http2": EventNameOnly, "httpcore.proxy": EventNameOnly, "httpcore.socks": EventNameOnly}


def redact_http_logs() -> None:
    """Logger filters see only records of their own logger, so each of these loggers gets one (once)."""
    for name, kind in SECRET_BEARING_LOGS.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())
