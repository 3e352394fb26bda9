"""The shared kernel: pure business rules and shapes two or more services share (scope, packets, sufficiency,
grants and identities as values, the error kinds). It imports only itself and the standard library — no token
signing, no database, no gRPC — so a service's domain may import it; the platform that runs services (server,
settings, telemetry, db, token signing) is `runtime/` (docs/architecture.md)."""
