"""One module per API resource; each defines a mixin with its RpcProxy and its `@route` methods
(see gateway/service.py for how to add one)."""
