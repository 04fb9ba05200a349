"""The gateway's settings (`GATEWAY` in its config): body limit, RPC timeout, trusted proxies,
CORS."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider


@dataclass(frozen=True)
class Settings:
    max_body_bytes: int = 64 * 1024
    rpc_timeout_seconds: float = 10.0
    trusted_proxy_hops: int = 0
    cors_origins: tuple[str, ...] = ()
    cors_max_age: int = 600

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        raw = config.get("GATEWAY", {}) or {}
        origins = raw.get("cors_origins") or ""
        if isinstance(origins, str):
            origins = [origin.strip().rstrip("/") for origin in origins.split(",")]
        return cls(
            max_body_bytes=int(raw.get("max_body_bytes") or cls.max_body_bytes),
            rpc_timeout_seconds=float(raw.get("rpc_timeout_seconds") or cls.rpc_timeout_seconds),
            trusted_proxy_hops=int(raw.get("trusted_proxy_hops") or 0),
            cors_origins=tuple(origin for origin in origins if origin),
        )

    def allows_origin(self, origin: str | None) -> bool:
        return bool(origin) and ("*" in self.cors_origins or origin in self.cors_origins)


class SettingsProvider(DependencyProvider):
    def setup(self) -> None:
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings
