"""Agora services: one package per service, plus the shared kit in services.shared."""
