"""Each process of the mesh and the settings class it reads at start (what its `__main__` loads)."""
from __future__ import annotations

from services.calc.bootstrap import CalcSettings
from services.evidence.bootstrap import EvidenceServiceSettings
from services.gateway.settings import GatewaySettings
from services.itr.bootstrap import ItrSettings
from services.publisher.bootstrap import PublisherServiceSettings
from services.scope.bootstrap import ScopeSettings
from services.takeover.bootstrap import TakeoverSettings
from services.tasks.bootstrap import TasksSettings
from services.tasks.worker import WorkerSettings

SETTINGS = {"scope": ScopeSettings, "calc": CalcSettings, "evidence": EvidenceServiceSettings, "itr": ItrSettings,
            "publisher": PublisherServiceSettings, "tasks": TasksSettings, "takeover": TakeoverSettings,
            "worker": WorkerSettings,
            "gateway": GatewaySettings}
