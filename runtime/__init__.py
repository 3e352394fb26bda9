"""The platform every LeafEnterprise service runs on: server, settings, telemetry, db, keys and signed tokens.

Shared business rules and shapes are not here but in kernel/ (docs/architecture.md, *Kernel and platform*)."""
