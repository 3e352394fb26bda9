"""The registry repository on SQLAlchemy: read the registry, replace it whole in one transaction."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, delete, insert, select

from services.scope.adapters import tables
from services.scope.domain.registry import Client, Group, Plan, Registry


class SqlRegistryRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self) -> Registry:
        with self.engine.connect() as db:
            return Registry(
                clients=tuple(Client(r.client_id, r.name, r.region)
                              for r in db.execute(select(tables.clients).order_by("client_id"))),
                pbm_ids=frozenset(db.scalars(select(tables.pbms.c.pbm_id))),
                tpa_ids=frozenset(db.scalars(select(tables.tpas.c.tpa_id))),
                pbm_names={r.pbm_id: r.name for r in db.execute(select(tables.pbms))},
                tpa_names={r.tpa_id: r.name for r in db.execute(select(tables.tpas))},
                plans=tuple(Plan(r.client_id, r.pbm_id, r.tpa_id, r.valid_from, r.valid_to)
                            for r in db.execute(select(tables.plans).order_by("client_id", "valid_from", "pbm_id"))),
                groups=tuple(Group(r.group_id, r.client_id, r.tpa_id, r.name, r.valid_from, r.valid_to)
                             for r in db.execute(select(tables.groups).order_by("group_id"))),
            )

    def replace(self, document: dict) -> None:
        """Replace the registry with `document` (the shape of demo/registry.json); all or nothing."""
        def dated(rows):
            return [{**r, "valid_from": date.fromisoformat(r["valid_from"]), "valid_to": date.fromisoformat(r["valid_to"])}
                    for r in rows]

        with self.engine.begin() as db:
            for table in (tables.groups, tables.plans, tables.clients, tables.pbms, tables.tpas):
                db.execute(delete(table))
            db.execute(insert(tables.clients), [{"region": "", **c} for c in document["clients"]])
            db.execute(insert(tables.pbms), document["pbms"])
            db.execute(insert(tables.tpas), document["tpas"])
            db.execute(insert(tables.plans), dated(document["plans"]))
            db.execute(insert(tables.groups), dated(document["groups"]))
