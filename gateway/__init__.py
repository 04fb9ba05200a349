"""The HTTP gateway: the only public entrypoint (REST under /api/v1), see gateway/service.py."""
