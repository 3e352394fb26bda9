"""`leaf dev-token` as a developer runs it: only the token on stdout, and the gateway's dev verifier accepts it."""
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.errors import Unauthenticated
from services.gateway.adapters.dev_keys import DEV_EMAIL, KEY_FILE, dev_verifier
from services.gateway.domain.identity import Identity

LEAF = Path(sys.executable).parent / "leaf"


def dev_token(*args: str, **env: str) -> subprocess.CompletedProcess:
    # LEAF_HOME comes from the autouse fixture; the verifier below reads the same key from it.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LEAF_CF_ACCESS_", "LEAF_APIM_", "LEAF_ENV"))}
    return subprocess.run([str(LEAF), "dev-token", *args], env={**clean, **env}, capture_output=True, text=True, timeout=60)


def test_prints_only_a_token_the_gateway_accepts(leaf_home):
    done = dev_token("--email", "ana@leaf.health", "--group", "auditors", "--group", "admins")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert done.stdout == token + "\n" and token.count(".") == 2
    identity = dev_verifier().verify(token)
    assert (identity.kind, identity.principal, identity.groups) == ("user", "ana@leaf.health", ("auditors", "admins"))
    assert stat.S_IMODE((leaf_home / "keys" / KEY_FILE).stat().st_mode) == 0o600


def test_the_key_is_made_once_and_kept(leaf_home):
    first, second = dev_token(), dev_token()
    assert dev_verifier().verify(first.stdout.strip()).principal == DEV_EMAIL
    assert dev_verifier().verify(second.stdout.strip()).subject == dev_verifier().verify(first.stdout.strip()).subject
    assert len(list((leaf_home / "keys").iterdir())) == 1


def test_service_token_is_a_service_identity():
    token = dev_token("--service", "domo-connector.access").stdout.strip()
    assert dev_verifier().verify(token) == Identity("service", "domo-connector.access", "domo-connector.access")


def test_expired_token_is_refused():
    done = dev_token("--expired", "--ttl", "60")
    assert done.returncode == 0
    with pytest.raises(Unauthenticated):
        dev_verifier().verify(done.stdout.strip())


def test_a_token_from_another_leaf_home_is_refused(tmp_path):
    other = tmp_path / "other-home"
    token = dev_token(LEAF_HOME=str(other)).stdout.strip()
    with pytest.raises(Unauthenticated):
        dev_verifier().verify(token)


@pytest.mark.parametrize("args, env, says", [
    ((), {"LEAF_ENV": "prod"}, "LEAF_ENV=prod never accepts dev tokens"),
    ((), {"LEAF_CF_ACCESS_TEAM_DOMAIN": "leaf.cloudflareaccess.com", "LEAF_CF_ACCESS_AUD": "aud"}, "LEAF_CF_ACCESS_TEAM_DOMAIN"),
    (("--service", "domo", "--group", "g"), {}, "--group"),
    (("--ttl", "0"), {}, "--ttl"),
    (("--ttl", "86401"), {}, "between 1 and 86400 seconds"),  # the gateway refuses tokens living over a day
])
def test_refusals_exit_2_with_nothing_on_stdout(leaf_home, args, env, says):
    done = dev_token(*args, **env)
    assert done.returncode == 2 and done.stdout == "" and says in done.stderr
    assert not (leaf_home / "keys" / KEY_FILE).exists()  # a refused run makes no key
