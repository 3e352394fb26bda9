"""Gateway adapters: the mesh of gRPC services."""
