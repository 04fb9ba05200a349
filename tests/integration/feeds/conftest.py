from .fixtures import rpc, stack, stack_config  # noqa: F401 - fixtures
