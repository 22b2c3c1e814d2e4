"""How two values of one RunnableConfig key combine, for every place that merges configs
(`_internal._config`'s ensure_config/merge_configs and a graph run's own config).

Plain data only: callback managers are handled through their methods, so langchain_core
is never imported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph_jit._constants import DEFAULT_RECURSION_LIMIT as _DEFAULT_LIMIT_VALUE

__all__ = ("DEFAULT_RECURSION_LIMIT", "DefaultRecursionLimit", "merge_callbacks", "merge_metadata")


class DefaultRecursionLimit(int):
    """The recursion limit `ensure_config` fills in when no config sets one.

    A distinct type, so a merge can tell "nobody chose a limit" from an explicit
    limit of the same value; the type survives copy, deepcopy and pickle, which a
    marker compared by identity would not.
    """


DEFAULT_RECURSION_LIMIT = DefaultRecursionLimit(_DEFAULT_LIMIT_VALUE)


def _copy_if_mapping(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def merge_metadata(base: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict:
    """Later keys win; only `lc_versions` (package -> version) merges one level deeper.

    Mapping values are copied one level, so the result shares no dict with its inputs.
    """
    merged = {key: _copy_if_mapping(value) for key, value in (base or {}).items()}
    for key, value in (new or {}).items():
        current = merged.get(key)
        if key == "lc_versions" and isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = {**current, **value}
        else:
            merged[key] = _copy_if_mapping(value)
    return merged


def merge_callbacks(base: Any, new: Any) -> Any:
    """Combine two `callbacks` values, each None, a list of handlers or a callback manager.

    Two lists concatenate; a manager absorbs the other side's handlers as inheritable.
    """
    if new is None:
        return base
    if base is None:
        return new.copy() if isinstance(new, list) or hasattr(new, "add_handler") else new
    base_is_list = isinstance(base, list)
    if isinstance(new, list):
        if base_is_list:
            return base + new
        manager = base.copy()
        for handler in new:
            manager.add_handler(handler, inherit=True)
        return manager
    if base_is_list:
        manager = new.copy()
        for handler in base:
            manager.add_handler(handler, inherit=True)
        return manager
    if hasattr(base, "merge"):
        return base.merge(new)
    raise NotImplementedError(f"Unsupported callback types: {type(base)}, {type(new)}")
