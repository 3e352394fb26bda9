"""Calc entrypoints: the gRPC servicer."""
