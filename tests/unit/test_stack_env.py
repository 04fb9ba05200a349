"""Where tests and benchmarks find the local stack (services/shared/config.py `stack_env`)."""
import pytest

from services.shared.config import STACK_KEYS, stack_env


@pytest.fixture(autouse=True)
def no_stack_in_the_environment(monkeypatch):
    """`make test` exports the running stack's addresses: each test sets its own."""
    for key in STACK_KEYS:
        monkeypatch.delenv(key, raising=False)


def test_the_environment_gives_the_stack_without_a_stack_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MONGO_URI", "mongodb://127.0.0.1:27999")
    monkeypatch.setenv("UNRELATED_SETTING", "x")

    found = stack_env(tmp_path)  # a checkout where `make` never wrote .state/stack.env

    assert found["MONGO_URI"] == "mongodb://127.0.0.1:27999"
    assert "UNRELATED_SETTING" not in found


def test_the_environment_overrides_the_stack_file(tmp_path, monkeypatch):
    (tmp_path / ".state").mkdir()
    (tmp_path / ".state" / "stack.env").write_text(
        "# written by dev/stack.sh up\n"
        "export AMQP_URI='amqp://guest:guest@127.0.0.1:5672/'\n"
        "export MONGO_URI='mongodb://127.0.0.1:27017'\n")
    monkeypatch.setenv("MONGO_URI", "mongodb://127.0.0.1:27999")

    found = stack_env(tmp_path)

    assert found == {"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
                     "MONGO_URI": "mongodb://127.0.0.1:27999"}
