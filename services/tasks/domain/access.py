"""Which tasks a caller may submit and see: a task's payload may name a scope or a client, and then binds it.

The ledger records no client of its own: what a task is about is what its payload says. A payload that
names neither (an ITR or evidence sync of everything) may be submitted under any valid grant, and is seen
by its submitter and operators only; one that names a scope or client is seen by anyone whose grant covers it
(its submitter too only while entitled) and by operators, who manage the plane.
"""
from __future__ import annotations

import json

from kernel.errors import InputError
from kernel.grants import Grant
from kernel.scope import Scope
from services.tasks.domain.policy import Submitter
from services.tasks.domain.tasks import Task


def task_in_grant(grant: Grant, payload: dict) -> bool:
    """A `scope` must lie inside the grant; a `client_id` alone means the client as a whole (an all-groups grant)."""
    scope, client_id = payload.get("scope"), payload.get("client_id")
    if scope is not None:
        if not isinstance(scope, dict):
            raise InputError("bad_input:payload", "payload scope must be an object of scope fields")
        try:
            parsed = Scope.parse(**scope)
        except TypeError:
            raise InputError("bad_input:payload", "payload scope has fields a scope does not") from None
        if not grant.covers_scope(parsed):
            return False
    if client_id is not None:
        return isinstance(client_id, str) and grant.covers(client_id)
    return True


def stored_task_in_grant(grant: Grant, payload_json: str) -> bool:
    """A task read back from the ledger (its payload was admitted as a JSON object); unreadable means unseen."""
    try:
        return task_in_grant(grant, json.loads(payload_json or "{}"))
    except (InputError, ValueError):
        return False


def scope_hash_of(grant: Grant, payload: dict) -> str:
    """The scope a task is about: its payload's scope (already checked inside the grant), else the exact grant's."""
    scope = payload.get("scope")
    if isinstance(scope, dict):
        return Scope.parse(**scope).scope_hash
    return grant.scope_hash or ""


def names_data(payload_json: str) -> bool:
    """Whether a stored payload is about a scope or a client (unreadable counts as about something: never open)."""
    try:
        payload = json.loads(payload_json or "{}")
    except ValueError:
        return True
    return not isinstance(payload, dict) or payload.get("scope") is not None or payload.get("client_id") is not None


def may_see(task: Task, viewer: Submitter, grant: Grant) -> bool:
    """Operators see every task; a task about data, whoever's grant covers that data; any other, its submitter."""
    if viewer.operator:
        return True
    if names_data(task.payload_json):
        return stored_task_in_grant(grant, task.payload_json)
    return task.requested_by == viewer.principal


def granted_scope_json(grant: Grant, payload: dict) -> str:
    """The exact scope a submission was granted for the task, asked for again on each try: the payload's scope
    (already checked inside the grant; no wider than the task needs), else the exact grant's; empty when the
    task works under a read grant."""
    scope = payload.get("scope")
    if isinstance(scope, dict):
        return Scope.parse(**scope).canonical_json().decode()
    return grant.scope.canonical_json().decode() if grant.scope is not None else ""
