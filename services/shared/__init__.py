"""The shared kit every Agora service stands on.

Event envelope and payload registry, event store, outbox relay, reliable consumer, projections,
observability and configuration. Each module has one concern; see docs/architecture.md.
"""
