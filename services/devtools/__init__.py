"""Development and test tooling: the demo community (`agora demo`), the gateway client that seeds
it and that tests and benchmarks drive the API with, the local mail sink. Never part of a
service's running code."""
