"""Operations: the `agora` command (run, migrate, replay, dead letters, erasure proof, demo) and
what only it uses. Built on the kit (services/shared); no service imports from here."""
