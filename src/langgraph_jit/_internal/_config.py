"""Config helpers at the path `langgraph._internal._config`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph_jit._constants import CONF

__all__ = ("ensure_config", "merge_configs", "patch_config", "patch_configurable")


def patch_configurable(config: Mapping[str, Any] | None, patch: Mapping[str, Any]) -> dict:
    """A copy of `config` whose `configurable` has `patch` applied on top."""
    if config is None:
        return {CONF: dict(patch)}
    out = dict(config)
    out[CONF] = {**(config.get(CONF) or {}), **patch}
    return out


def merge_configs(*configs: Mapping[str, Any] | None) -> dict:
    """Merge configs left to right: metadata and configurable are merged,
    tags concatenated (deduplicated), other keys replaced."""
    out: dict[str, Any] = {}
    for config in configs:
        if not config:
            continue
        for key, value in config.items():
            if value is None:
                continue
            if key in ("metadata", CONF) and isinstance(value, Mapping):
                out[key] = {**(out.get(key) or {}), **value}
            elif key == "tags":
                out[key] = sorted(set(value) | set(out.get(key) or ()))
            elif key == "callbacks" and out.get("callbacks") is not None:
                base = out["callbacks"]
                if isinstance(base, list) and isinstance(value, list):
                    out[key] = base + value
                elif isinstance(value, list):
                    new = base.copy()
                    for handler in value:
                        new.add_handler(handler, inherit=True)
                    out[key] = new
                else:
                    out[key] = value
            else:
                out[key] = value
    return out


def ensure_config(*configs: Mapping[str, Any] | None) -> dict:
    """A full config: defaults, then the context's config, then `configs`."""
    try:
        from langchain_core.runnables.config import ensure_config as _lc_ensure
    except ImportError:  # pragma: no cover - langchain_core absent
        base: dict[str, Any] = {
            "tags": [],
            "metadata": {},
            "callbacks": None,
            "recursion_limit": 10007,
            CONF: {},
        }
    else:
        base = dict(_lc_ensure(None))
    return merge_configs(base, *configs)


def patch_config(config: Mapping[str, Any] | None, **changes: Any) -> dict:
    out = dict(config or {})
    for key, value in changes.items():
        if value is not None:
            out[key] = value
    return out
