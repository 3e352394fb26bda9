"""Publisher entrypoints: the gRPC servicer."""
