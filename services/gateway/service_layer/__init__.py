"""Gateway use cases: compose the services for one HTTP request."""
