"""Names beside ids for `leaf report`: the scope service's local registry (services/scope/offline.py) read for the
run's scope, put on the publisher's context. With no registry loaded, or none that knows the client, the
deliverables show ids alone."""
from __future__ import annotations

from kernel.scope import Scope
from services.publisher.offline import with_names
from services.scope.offline import local_names as registry_names


def local_names(context, scope: Scope):
    """The context with the names of the scope's ids, and where they came from (for the command's progress line)."""
    names, source = registry_names(scope.client_id, scope.pbm_id, scope.tpa_id, scope.group_ids)
    if names is None:
        return context, source
    return with_names(context, names.client, names.pbm, names.tpa, names.groups), source
