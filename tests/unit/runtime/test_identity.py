"""The caller identity assertion: signed, short-lived, namespaced; refused when missing, forged, expired, ill-formed."""
import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from kernel.errors import InputError
from kernel.identity import IdentityRefused, OperatorRequired, operator_of
from runtime.grant_keys import local_grant_keys
from runtime.identity_keys import IdentityKeys, IdentitySettings, local_identity_keys
from runtime.identity_tokens import AUDIENCE, ISSUER, SignedAssertions, sign, verify

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
K1, K0 = ("i1", b"1" * 32), ("i0", b"0" * 32)
KEYS = IdentityKeys(K1, K0)
ALICE = "user:alice@leaf.health"


def refused(token, keys=KEYS, now=NOW) -> str:
    with pytest.raises(IdentityRefused) as raised:
        verify(token, keys, now)
    assert not token or token not in raised.value.message
    return raised.value.code


def test_a_signed_identity_verifies_to_its_caller():
    token, expires = sign("user:Alice@Leaf.Health", ["group:auditors"], True, KEYS, ttl=60, now=NOW)
    identity = verify(token, KEYS, NOW + timedelta(seconds=59))
    assert (identity.principal, identity.groups, identity.operator) == (ALICE, ("group:auditors",), True)
    assert identity.principals == (ALICE, "group:auditors") and identity.kid == "i1"
    assert expires == NOW + timedelta(seconds=60) == identity.expires_at
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE) == ("leaf.identity", "leaf.mesh")


def test_missing_expired_forged_and_future_identities_are_refused():
    token, _ = sign(ALICE, [], False, KEYS, ttl=60, now=NOW)
    assert refused(None) == refused("") == "identity_missing"
    assert refused(token, now=NOW + timedelta(seconds=60)) == "identity_expired"
    assert refused(sign(ALICE, [], False, IdentityKeys(("i1", b"x" * 32)), now=NOW)[0]) == "identity_invalid"
    assert refused(sign(ALICE, [], False, IdentityKeys(("stranger", b"1" * 32)), now=NOW)[0]) == "identity_invalid"
    assert refused(sign(ALICE, [], False, KEYS, now=NOW + timedelta(minutes=5))[0]) == "identity_invalid"
    assert refused("not.a.jwt") == "identity_invalid"


def test_the_previous_key_still_verifies_during_a_rotation():
    by_old, _ = sign(ALICE, [], False, IdentityKeys(K0), now=NOW)
    assert verify(by_old, KEYS, NOW).kid == "i0"
    assert refused(by_old, keys=IdentityKeys(K1)) == "identity_invalid"


def _resigned(token: str, **changes) -> str:
    """The token's claims changed and signed again with the same key: a well-signed but ill-formed identity."""
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    return jwt.encode(claims, K1[1], algorithm="HS256", headers={"kid": "i1"})


@pytest.mark.parametrize("changes", [
    {"principal": "alice@leaf.health"}, {"principal": "group:auditors"}, {"principal": "local:root"},
    {"groups": ["auditors"]}, {"groups": [ALICE]}, {"groups": "group:auditors"}, {"operator": "yes"},
    {"principal": "service:domo", "operator": True}, {"aud": "elsewhere"}, {"iss": "leaf.scope"},
])
def test_a_well_signed_identity_with_ill_formed_claims_is_refused(changes):
    token, _ = sign(ALICE, [], False, KEYS, now=NOW)
    assert refused(_resigned(token, **changes)) == "identity_invalid"


def test_a_grant_key_cannot_sign_an_identity():
    token, _ = sign(ALICE, [], True, local_grant_keys(), now=NOW)
    assert refused(token, keys=local_identity_keys(), now=NOW) == "identity_invalid"


def test_a_tampered_payload_is_refused():
    header, payload, signature = sign(ALICE, [], False, KEYS, now=NOW)[0].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["operator"] = True
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert refused(f"{header}.{forged}.{signature}") == "identity_invalid"


@pytest.mark.parametrize("principal, groups, operator", [
    ("alice@leaf.health", [], False), (ALICE, ["auditors"], False), ("service:domo", [], True),
    ("workload:publisher", [], True), ("group:auditors", [], False)])
def test_only_callers_can_be_signed(principal, groups, operator):
    with pytest.raises(InputError):
        sign(principal, groups, operator, KEYS)


def test_only_an_operator_identity_names_an_operator():
    operator = verify(sign(ALICE, [], True, KEYS, now=NOW)[0], KEYS, NOW)
    analyst = verify(sign(ALICE, ["group:leaf-operators"], False, KEYS, now=NOW)[0], KEYS, NOW)
    assert operator_of(operator) == ALICE
    with pytest.raises(OperatorRequired) as raised:
        operator_of(analyst)
    assert raised.value.code == "operator_required"


def test_signed_assertions_are_reused_for_half_their_life_then_renewed():
    assertions = SignedAssertions(KEYS, ttl=2)
    first = assertions.token(ALICE, ["group:a"], False)
    assert assertions.token(ALICE, ["group:a"], False) == first
    assert verify(assertions.token(ALICE, ["group:a"], True), KEYS).operator   # another caller: an operator
    time.sleep(1.1)  # past half the life: a fresh assertion, so a reused one always has half its life left
    renewed = assertions.token(ALICE, ["group:a"], False)
    exp = lambda token: jwt.decode(token, options={"verify_signature": False})["exp"]  # noqa: E731
    assert renewed != first and exp(renewed) > exp(first)


def test_identity_keys_come_from_their_own_setting_or_the_local_key(monkeypatch, leaf_home):
    assert IdentitySettings().identity_keys() == local_identity_keys() != local_grant_keys()
    assert (leaf_home / "keys" / "identity_key").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("LEAF_IDENTITY_KEYS", f"i1:{base64.b64encode(K1[1]).decode()}")
    assert IdentitySettings().identity_keys() == IdentityKeys(K1)
    assert IdentitySettings().LEAF_IDENTITY_TTL_SECONDS == 60
