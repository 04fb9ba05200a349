"""Configuration: nameko 2.x YAML files with `${ENV:default}` values.

Example::

    config = load_config("posts")   # services/posts/config.yaml, environment substituted
    config["AMQP_URI"]
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from nameko.cli.main import setup_yaml_parser

from .rpc_messages import use_transient_rpc_messages

ROOT = Path(__file__).resolve().parents[2]

# Every process reads its configuration here, before nameko starts: its RPC messages are
# transient and its replies unconfirmed from then on (rpc_messages.py says why).
use_transient_rpc_messages()

PROCESSES: dict[str, tuple[str, Path]] = {
    # name -> (service class import path, config file)
    "gateway": ("gateway.service:GatewayService", ROOT / "gateway" / "config.yaml"),
    "identity": ("services.identity.service:IdentityService",
                 ROOT / "services" / "identity" / "config.yaml"),
    "posts": ("services.posts.service:PostsService", ROOT / "services" / "posts" / "config.yaml"),
    "moderation": ("services.moderation.service:ModerationService",
                   ROOT / "services" / "moderation" / "config.yaml"),
    "feeds": ("services.feeds.service:FeedsService", ROOT / "services" / "feeds" / "config.yaml"),
    "notifications": ("services.notifications.service:NotificationsService",
                      ROOT / "services" / "notifications" / "config.yaml"),
    "conversations": ("services.conversations.service:ConversationsService",
                      ROOT / "services" / "conversations" / "config.yaml"),
}

_yaml_ready = False


def in_production() -> bool:
    """`AGORA_ENVIRONMENT=production` (the production overlay sets it): demo data and
    placeholder settings are refused."""
    return os.environ.get("AGORA_ENVIRONMENT", "").lower() in ("prod", "production")


def load_config_file(path: Path) -> dict[str, Any]:
    global _yaml_ready
    if not _yaml_ready:
        setup_yaml_parser()
        _yaml_ready = True
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def load_config(process: str) -> dict[str, Any]:
    return load_config_file(PROCESSES[process][1])


def available_processes() -> list[str]:
    """Processes whose code exists in this checkout (services land one by one)."""
    return [name for name, (_, path) in PROCESSES.items() if path.exists()]


def import_service(process: str):
    module_name, _, class_name = PROCESSES[process][0].partition(":")
    module = __import__(module_name, fromlist=[class_name])
    return getattr(module, class_name)


# What `dev/stack.sh up` writes to `.state/stack.env`: the environment gives them too, with or
# without that file (a checkout that never ran `make` must still honour MONGO_URI=...).
STACK_KEYS = ("AMQP_URI", "RABBIT_MANAGEMENT_URI", "MONGO_URI")


def stack_env(root: Path = ROOT) -> dict[str, str]:
    """The local stack's addresses (AMQP_URI, MONGO_URI, ...) as `dev/stack.sh up` wrote them
    to `.state/stack.env`, overridden by the environment. Tests and benchmarks read them so that
    a bare `pytest` or `python -m bench` finds the stack `make` started."""
    import os

    values: dict[str, str] = {}
    env_file = root / ".state" / "stack.env"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            line = line.strip().removeprefix("export ")
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key] = value.strip().strip("'\"")
    known = set(values) | set(STACK_KEYS)
    return {**values, **{key: value for key, value in os.environ.items() if key in known}}
