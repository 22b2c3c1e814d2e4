"""How RunnableConfigs combine (`ensure_config`, `merge_configs`, `patch_config`) and the
LangChain callback managers built from one, at LangGraph's path `langgraph._internal._config`.

langchain_core is optional: it is imported only to read its ambient config (when loaded)
and to build callback managers.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_jit._config_merge import DEFAULT_RECURSION_LIMIT, DefaultRecursionLimit
from langgraph_jit._config_merge import merge_callbacks as _merge_callbacks
from langgraph_jit._config_merge import merge_metadata as _merge_metadata
from langgraph_jit._constants import (
    CHECKPOINT_COORDINATES,
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_THREAD_ID,
)
from langgraph_jit._context import CURRENT_TASK

__all__ = (
    "DEFAULT_RECURSION_LIMIT",
    "ensure_config",
    "get_async_callback_manager_for_config",
    "get_callback_manager_for_config",
    "merge_configs",
    "patch_config",
    "patch_configurable",
)


# RunnableConfig's own keys; any other top-level key given to ensure_config is a
# configurable value.
CONFIG_KEYS = frozenset(
    (
        "tags",
        "metadata",
        "callbacks",
        "run_name",
        "max_concurrency",
        "recursion_limit",
        CONF,
        "run_id",
    )
)
# Keys of the ambient config that are containers: copied, so a merge never mutates it.
_COPIED_AMBIENT_KEYS = ("tags", "metadata", "callbacks", CONF)
# Configurable ids that ensure_config also records in metadata (unless already there).
_IDS_IN_METADATA = (
    CONFIG_KEY_THREAD_ID,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    "task_id",
    "run_id",
    "assistant_id",
    "graph_id",
)
# Configurable keys containing these never reach tracing metadata (credentials).
_SECRET_MARKERS = ("key", "token", "secret", "password", "auth")


def _is_not_empty(value: Any) -> bool:
    """Whether a config value counts as set: not None, and not an empty list/tuple/dict."""
    if isinstance(value, (list, tuple, dict)):
        return bool(value)
    return value is not None


def merge_configs(*configs: Mapping[str, Any] | None) -> dict:
    """Merge configs left to right into a new config.

    Empty values are skipped. `metadata` and `configurable` merge per key, `tags`
    concatenate, `callbacks` combine, and a recursion limit that is only the default
    filled in by `ensure_config` never overrides one chosen earlier.
    """
    out: dict[str, Any] = {}
    for config in configs:
        if config is None:
            continue
        for key, value in config.items():
            if not value:
                continue
            if key == "metadata":
                out[key] = _merge_metadata(out.get(key), value)
            elif key == "tags":
                current = out.get(key)
                out[key] = [*current, *value] if current else value
            elif key == CONF:
                current = out.get(key)
                out[key] = {**current, **value} if current else value
            elif key == "callbacks":
                out[key] = _merge_callbacks(out.get(key), value)
            elif key == "recursion_limit":
                if not isinstance(value, DefaultRecursionLimit):
                    out[key] = value
            else:
                out[key] = value
    if CONF not in out:
        out[CONF] = {}
    return out


def patch_configurable(config: Mapping[str, Any] | None, patch: Mapping[str, Any]) -> dict:
    """A copy of `config` whose `configurable` has `patch` applied on top."""
    if config is None:
        return {CONF: dict(patch)}
    out = dict(config)
    out[CONF] = {**(config.get(CONF) or {}), **patch}
    return out


def patch_config(
    config: Mapping[str, Any] | None,
    *,
    callbacks: Any = None,
    recursion_limit: int | None = None,
    max_concurrency: int | None = None,
    run_name: str | None = None,
    configurable: Mapping[str, Any] | None = None,
) -> dict:
    """A copy of `config` with the given values set (None leaves a key as it is).

    New callbacks start a new run, so the copy drops `run_name` and `run_id`, which
    named the run of the callbacks they replace.
    """
    out = dict(config) if config is not None else {}
    if callbacks is not None:
        out["callbacks"] = callbacks
        out.pop("run_name", None)
        out.pop("run_id", None)
    if recursion_limit is not None:
        out["recursion_limit"] = recursion_limit
    if max_concurrency is not None:
        out["max_concurrency"] = max_concurrency
    if run_name is not None:
        out["run_name"] = run_name
    if configurable is not None:
        out[CONF] = {**out.get(CONF, {}), **configurable}
    return out


def _ambient_config() -> Mapping[str, Any] | None:
    """The config of the runnable or graph task this code runs in, if any."""
    if "langchain_core" in sys.modules:
        try:
            from langchain_core.runnables.config import var_child_runnable_config
        except ImportError:  # pragma: no cover - langchain_core half-imported
            pass
        else:
            ambient = var_child_runnable_config.get()
            if ambient:
                return ambient
    task = CURRENT_TASK.get()
    return task.config if task is not None else None


def _addresses_own_checkpoints(configs: Sequence[Mapping[str, Any] | None]) -> bool:
    for config in configs:
        if not config:
            continue
        configurable = config.get(CONF)
        if configurable and any(
            _is_not_empty(configurable.get(key)) for key in CHECKPOINT_COORDINATES
        ):
            return True
    return False


def ensure_config(*configs: Mapping[str, Any] | None) -> dict:
    """A complete config: defaults, then the ambient config, then `configs` merged in order.

    The ambient config is the one of the runnable or graph task this is called from.
    A config naming its own checkpoint coordinate (thread, namespace, checkpoint id or
    map) does not inherit the ambient `configurable`: a graph invoked inside a node with
    a thread of its own must not write under the calling task's namespace. Top-level
    keys that are not RunnableConfig keys become configurable values, and the run's ids
    found in `configurable` are copied to `metadata` unless it has them already.
    """
    out: dict[str, Any] = {
        "tags": [],
        "metadata": {},
        "callbacks": None,
        "recursion_limit": DEFAULT_RECURSION_LIMIT,
        CONF: {},
    }
    inherited_tags: frozenset[str] = frozenset()
    ambient = _ambient_config()
    if ambient:
        for key, value in ambient.items():
            if _is_not_empty(value):
                out[key] = value.copy() if key in _COPIED_AMBIENT_KEYS else value
        inherited_tags = frozenset(out["tags"])
        if out.get(CONF) and _addresses_own_checkpoints(configs):
            out[CONF] = {}
    for config in configs:
        if config is None:
            continue
        for key, value in config.items():
            if not _is_not_empty(value):
                continue
            if key not in CONFIG_KEYS:
                out[CONF][key] = value
            elif key == CONF:
                current = out.get(CONF)
                out[CONF] = {**current, **value} if current else dict(value)
            elif key == "callbacks":
                out[key] = _merge_callbacks(out.get(key), value)
            elif key == "metadata":
                out[key] = _merge_metadata(out.get(key), value)
            elif key == "tags":
                # A subgraph receives its parent's config both explicitly and as
                # the ambient one: skip the inherited tags or they double per level.
                own = [tag for tag in value if tag not in inherited_tags]
                current = out.get(key)
                out[key] = [*current, *own] if current else own
            else:
                out[key] = value
    configurable = out.get(CONF)
    metadata = out.get("metadata")
    if configurable and metadata is not None:
        for key in _IDS_IN_METADATA:
            if key not in metadata:
                value = configurable.get(key)
                if value:
                    metadata[key] = value
    return out


def _tracing_metadata(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The configurable values a tracer may record: public scalars, no credentials."""
    configurable = config.get(CONF)
    if not configurable:
        return None
    metadata = {
        key: value
        for key, value in configurable.items()
        if not key.startswith("__")
        and isinstance(value, (str, int, float, bool))
        and not any(marker in key.casefold() for marker in _SECRET_MARKERS)
    }
    return metadata or None


def _tags_for(config: Mapping[str, Any], tags: Sequence[str] | None) -> list[str] | None:
    own = config.get("tags")
    if tags is None:
        return own
    return [*own, *tags] if own is not None else list(tags)


def _configure_manager(cls: Any, config: Mapping[str, Any], tags: Sequence[str] | None) -> Any:
    all_tags = _tags_for(config, tags)
    callbacks = config.get("callbacks")
    if callbacks and isinstance(callbacks, cls):
        # The caller's own manager: extended in place, as LangChain does.
        if all_tags:
            callbacks.add_tags(all_tags)
        if metadata := config.get("metadata"):
            callbacks.add_metadata(metadata)
        return callbacks
    kwargs: dict[str, Any] = {
        "inheritable_callbacks": callbacks,
        "inheritable_tags": all_tags,
        "inheritable_metadata": config.get("metadata"),
    }
    try:
        return cls.configure(**kwargs, langsmith_inheritable_metadata=_tracing_metadata(config))
    except TypeError:  # langchain_core without tracer-only metadata
        return cls.configure(**kwargs)


def get_callback_manager_for_config(
    config: Mapping[str, Any], tags: Sequence[str] | None = None
) -> Any:
    """A LangChain CallbackManager for `config` (its callbacks, tags and metadata)."""
    from langchain_core.callbacks.manager import CallbackManager

    return _configure_manager(CallbackManager, config, tags)


def get_async_callback_manager_for_config(
    config: Mapping[str, Any], tags: Sequence[str] | None = None
) -> Any:
    """A LangChain AsyncCallbackManager for `config` (its callbacks, tags and metadata)."""
    from langchain_core.callbacks.manager import AsyncCallbackManager

    return _configure_manager(AsyncCallbackManager, config, tags)
