"""Gateway entrypoints: the FastAPI application."""
