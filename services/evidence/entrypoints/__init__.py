"""Evidence entrypoints: the gRPC servicer."""
