"""LeafEnterprise services: one package per deployable gRPC service (plus the HTTP gateway)."""
