"""ITR entrypoints: the gRPC servicer."""
