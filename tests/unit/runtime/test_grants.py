"""Signed scope grants: round trip, expiry, tampering, unknown keys, rotation, covers()."""
import base64
import json
from datetime import UTC, date, datetime, timedelta

import grpc
import jwt
import pytest
from pydantic import ValidationError

from kernel.grants import GrantRefused
from kernel.scope import Scope
from runtime.convert import scope_from_proto, scope_to_proto
from runtime.grant_keys import GrantKeys, GrantKeySettings, local_grant_keys, parse_grant_keys
from runtime.grant_tokens import METADATA_KEY, grant_from_context, issue, verify, with_grant

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
K1, K0, KX = ("k1", b"1" * 32), ("k0", b"0" * 32), ("kx", b"x" * 32)
KEYS = GrantKeys(K1, K0)
SCOPE = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", None, ("G1", "G2"))
WHOLE = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")


def refused(token, keys=KEYS, now=NOW) -> str:
    with pytest.raises(GrantRefused) as raised:
        verify(token, keys, now)
    assert raised.value.message and (not token or token not in raised.value.message)
    return raised.value.code


def test_a_grant_verifies_and_carries_its_scope():
    token, kid, expires = issue(SCOPE, "alice@leaf.health", KEYS, ttl=300, now=NOW)
    grant = verify(token, KEYS, NOW + timedelta(seconds=299))
    assert (kid, expires) == ("k1", NOW + timedelta(seconds=300))
    assert grant.scope == SCOPE and grant.scope_hash == SCOPE.scope_hash
    assert (grant.principal, grant.kid, grant.expires_at, grant.issued_at) == ("alice@leaf.health", "k1", expires, NOW)
    assert jwt.get_unverified_header(token)["kid"] == "k1"


def test_an_expired_grant_is_refused_as_expired():
    token, _, _ = issue(SCOPE, "alice@leaf.health", KEYS, ttl=300, now=NOW)
    assert refused(token, now=NOW + timedelta(seconds=300)) == "scope_grant_expired"


def test_a_missing_or_garbled_grant_is_refused():
    assert refused(None) == "scope_grant_missing"
    assert refused("") == "scope_grant_missing"
    assert refused("not.a.token") == "scope_grant_invalid"


def _reencode_claims(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_tampered_payload_is_refused():
    token, _, _ = issue(SCOPE, "alice@leaf.health", KEYS, now=NOW)
    assert refused(_reencode_claims(token, client_id="C002")) == "scope_grant_invalid"
    assert refused(_reencode_claims(token, group_ids=[])) == "scope_grant_invalid"


def test_a_grant_signed_by_an_unknown_key_is_refused():
    token, _, _ = issue(SCOPE, "alice@leaf.health", GrantKeys(KX), now=NOW)
    assert refused(token) == "scope_grant_invalid"
    # The right kid with the wrong secret: the signature gives it away.
    forged, _, _ = issue(SCOPE, "alice@leaf.health", GrantKeys(("k1", b"y" * 32)), now=NOW)
    assert refused(forged) == "scope_grant_invalid"


def test_a_grant_signed_without_the_scope_hash_matching_is_refused():
    claims = {**SCOPE.canonical(), "scope_hash": WHOLE.scope_hash, "principal": "a@b.c", "iss": "leaf.scope",
              "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60}
    token = jwt.encode(claims, K1[1], algorithm="HS256", headers={"kid": "k1"})
    assert refused(token) == "scope_grant_invalid"


def test_rotation_previous_key_verifies_a_retired_one_does_not():
    by_old, _, _ = issue(SCOPE, "alice@leaf.health", GrantKeys(K0), now=NOW)
    assert verify(by_old, GrantKeys(K1, K0), NOW).kid == "k0"
    assert refused(by_old, keys=GrantKeys(K1)) == "scope_grant_invalid"
    assert refused(by_old, keys=GrantKeys(KX, K1)) == "scope_grant_invalid"
    assert issue(SCOPE, "a@b.c", GrantKeys(K1, K0), now=NOW)[1] == "k1"  # always signed with the current key


def test_covers_clients_groups_and_days():
    grant = verify(issue(SCOPE, "alice@leaf.health", KEYS, now=NOW)[0], KEYS, NOW)
    assert grant.covers("C001", "G1", date(2025, 6, 1))
    assert grant.covers("C001", "G2", "2025-12-31", pbm_id="PBM_A")
    assert not grant.covers("C002", "G1")
    assert not grant.covers("C001", "G3")
    assert not grant.covers("C001")  # the client as a whole is more than two of its groups
    assert not grant.covers("C001", "G1", date(2026, 1, 1))
    assert not grant.covers("C001", "G1", pbm_id="PBM_B")
    whole = verify(issue(WHOLE, "alice@leaf.health", KEYS, now=NOW)[0], KEYS, NOW)
    assert whole.covers("C001") and whole.covers("C001", "G9", "2025-01-01")


def test_covers_scope_needs_the_whole_scope_inside():
    grant = verify(issue(SCOPE, "alice@leaf.health", KEYS, now=NOW)[0], KEYS, NOW)
    assert grant.covers_scope(SCOPE)
    # A proto ExactScope is converted (and its hash re-checked) before the kernel's rule sees it.
    assert grant.covers_scope(scope_from_proto(scope_to_proto(Scope.parse("C001", "PBM_A", "2025-03-01", "2025-03-31", "T1",
                                                                          ("G2",)))))
    assert not grant.covers_scope(WHOLE)
    assert not grant.covers_scope(Scope.parse("C001", "PBM_A", "2025-01-01", "2026-01-31", None, ("G1",)))
    assert not grant.covers_scope(Scope.parse("C001", "PBM_B", "2025-01-01", "2025-12-31", None, ("G1",)))
    assert not grant.covers_scope(Scope.parse("C002", "PBM_A", "2025-01-01", "2025-12-31", None, ("G1",)))
    assert not grant.covers_scope(Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", None, ("G1", "G3")))
    tpa = verify(issue(Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", "T1"), "a@b.c", KEYS, now=NOW)[0], KEYS, NOW)
    assert tpa.covers_scope(Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", "T1"))
    assert not tpa.covers_scope(WHOLE)


class Context:
    def __init__(self, metadata):
        self.metadata = metadata

    def invocation_metadata(self):
        return self.metadata


def test_grant_travels_in_metadata():
    token, _, _ = issue(SCOPE, "alice@leaf.health", KEYS, now=NOW)
    metadata = with_grant((("x-other", "1"), (METADATA_KEY, "stale")), token)
    assert metadata == (("x-other", "1"), (METADATA_KEY, token))
    assert grant_from_context(Context(metadata), KEYS, NOW).scope == SCOPE
    with pytest.raises(GrantRefused) as raised:
        grant_from_context(Context((("x-other", "1"),)), KEYS, NOW)
    assert raised.value.code == "scope_grant_missing"


def test_a_refusal_maps_to_permission_denied():
    from runtime.grpc_errors import status_code_of

    with pytest.raises(GrantRefused) as raised:
        verify("", KEYS, NOW)
    assert status_code_of(raised.value) == grpc.StatusCode.PERMISSION_DENIED


def b64(secret: bytes) -> str:
    return base64.b64encode(secret).decode()


def test_grant_keys_parse_current_first_then_previous():
    keys = parse_grant_keys(f"k1:{b64(K1[1])}, k0:{b64(K0[1])}")
    assert keys == GrantKeys(K1, K0) and "1111" not in repr(keys)
    assert parse_grant_keys(f"k1:{b64(K1[1])}") == GrantKeys(K1)


@pytest.mark.parametrize("text", ["", "k1", f"k1:{b64(b'short')}", "k1:not base64!", f":{b64(K1[1])}",
                                  f"k1:{b64(K1[1])},k1:{b64(K0[1])}", ",".join([f"k{i}:{b64(K1[1])}" for i in range(3)])])
def test_bad_grant_keys_are_refused_without_echoing_the_secret(text):
    with pytest.raises(ValueError) as raised:
        parse_grant_keys(text)
    assert b64(K1[1]) not in str(raised.value)


def test_the_local_key_is_made_once_and_refused_in_production(monkeypatch, leaf_home):
    assert local_grant_keys() == local_grant_keys() and (leaf_home / "keys" / "grant_key").stat().st_mode & 0o077 == 0
    assert GrantKeySettings().grant_keys() == local_grant_keys()
    monkeypatch.setenv("LEAF_ENV", "prod")
    with pytest.raises(ValidationError, match="LEAF_GRANT_KEYS"):
        GrantKeySettings()
    monkeypatch.setenv("LEAF_GRANT_KEYS", f"k1:{b64(K1[1])}")
    assert GrantKeySettings().grant_keys() == GrantKeys(K1)
    monkeypatch.setenv("LEAF_GRANT_KEYS", "k1:short")
    with pytest.raises(ValidationError) as raised:
        GrantKeySettings()
    assert "short" not in str(raised.value).replace("shorter", "")
