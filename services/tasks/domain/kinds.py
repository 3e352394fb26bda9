"""Task kinds: one table saying, for each kind of long-running work, who may ask for it, its lane, its limits and retries."""
from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import InputError

# Principal namespaces (kernel/principals.py): a person, a service token, a mesh service acting for itself, an
# operator at the database's own machine. `group:` never submits: a group is whom an entitlement names, not a caller.
USER, SERVICE, WORKLOAD, LOCAL = "user", "service", "workload", "local"


@dataclass(frozen=True)
class RetryPolicy:
    """How often a kind is tried and how long it waits between tries (exponential backoff, capped)."""

    max_attempts: int
    backoff_seconds: float
    backoff_factor: float = 2.0
    max_backoff_seconds: float = 600.0

    def delay_after(self, attempt: int) -> float:
        """Seconds before the try that follows try number `attempt` (1-based)."""
        return min(self.backoff_seconds * self.backoff_factor ** max(attempt - 1, 0), self.max_backoff_seconds)

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


@dataclass(frozen=True)
class TaskKind:
    """What one kind of task is allowed to be; `policy.decide` reads it, workers honour its limits."""

    name: str
    lane: str
    submitters: frozenset[str]      # principal namespaces that may submit it
    operator_only: bool             # only an operator's verified identity may submit it
    mutates_curated: bool           # changes curated data: an operator, and the operator flag set on the request
    time_limit_seconds: int
    retry: RetryPolicy
    params: frozenset[str] = frozenset()  # the payload keys it takes: any other is refused (a misspelt key is no key)


PEOPLE_AND_SERVICES = frozenset({USER, SERVICE, WORKLOAD, LOCAL})
OPERATORS = frozenset({USER, LOCAL})

KINDS: dict[str, TaskKind] = {k.name: k for k in (
    # Publishes a computed run (its id: the task's run_id, or `run_id` in the payload).
    TaskKind("publish_run", "publish", PEOPLE_AND_SERVICES, operator_only=False, mutates_curated=False,
             time_limit_seconds=1800, retry=RetryPolicy(max_attempts=5, backoff_seconds=10),
             params=frozenset({"run_id", "scope"})),
    # Computes the run of an exact scope (repriced on a proposal when one is named), then publishes it (what
    # POST /v1/runs submits). proposal_id is a reference calc resolves within the grant, never scope.
    TaskKind("compute_run", "runs", PEOPLE_AND_SERVICES, operator_only=False, mutates_curated=False,
             time_limit_seconds=3600, retry=RetryPolicy(max_attempts=3, backoff_seconds=10),
             params=frozenset({"scope", "client_id", "itr_request_id", "proposal_id"})),
    # Mirrors Salesforce for everyone's requests: an operator's call, not an analyst's.
    TaskKind("itr_sync", "itr", OPERATORS, operator_only=True, mutates_curated=False,
             time_limit_seconds=900, retry=RetryPolicy(max_attempts=5, backoff_seconds=30)),
    # Writes bronze → silver → curated takeover data (architecture.md: curated mutations need operator intent).
    # `path`: the export (folder or .zip) as the takeover service sees its filesystem (docs/takeover.md).
    TaskKind("takeover_ingest", "takeover", OPERATORS, operator_only=True, mutates_curated=True,
             time_limit_seconds=3600, retry=RetryPolicy(max_attempts=3, backoff_seconds=60),
             params=frozenset({"client_id", "path"})),
    # A golden comparison of a takeover process on a promoted load (takeover.CompareParity): calc's run of the
    # process's exact scope (`scope`, granted at submission) against the load's cards and silver rows. It writes a
    # parity report, never curated data.
    TaskKind("takeover_parity", "takeover", OPERATORS, operator_only=True, mutates_curated=False,
             time_limit_seconds=3600, retry=RetryPolicy(max_attempts=3, backoff_seconds=60),
             params=frozenset({"process_id", "load_id", "scope"})),
)}
LANES: tuple[str, ...] = tuple(sorted({k.lane for k in KINDS.values()}))


def kind_named(name: str) -> TaskKind:
    kind = KINDS.get(name)
    if kind is None:
        raise InputError("unknown_kind", f"kind must be one of {', '.join(sorted(KINDS))}")
    return kind


def check_params(kind: TaskKind, payload: dict) -> None:
    """A payload names only what the kind takes (InputError `bad_input:payload` naming the first stranger)."""
    strangers = sorted(set(payload) - kind.params)
    if strangers:
        takes = ", ".join(sorted(kind.params)) or "nothing"
        raise InputError("bad_input:payload", f"{kind.name} takes {takes}; not {strangers[0]!r}")
