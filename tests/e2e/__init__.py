"""End-to-end tests: through the HTTP gateway against `agora run` processes."""
