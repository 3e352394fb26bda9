"""Scope entrypoints: the gRPC servicer."""
