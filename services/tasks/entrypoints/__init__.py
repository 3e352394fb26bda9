"""Tasks entrypoints: the gRPC servicer."""
