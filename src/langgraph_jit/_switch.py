"""The switch: make every `import langgraph...` resolve to the matching `langgraph_jit...` module.

A meta path finder aliases module names, so one object is reachable under both names
(`langgraph.graph.StateGraph is langgraph_jit.graph.StateGraph`); a `langgraph.X` we lack
raises ImportError naming it, so the two engines are never mixed in one process.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from typing import Any

SOURCE = "langgraph"
TARGET = "langgraph_jit"
ENV_VAR = "LANGGRAPH_JIT"

__all__ = (
    "LangGraphAliasFinder",
    "at_startup",
    "enabled_by_env",
    "install",
    "installed",
    "uninstall",
)


def enabled_by_env(default: bool = True) -> bool:
    """Read LANGGRAPH_JIT: "0"/"false"/"no"/"off" turn the switch off, any other
    value turns it on; unset means `default`."""
    value = os.environ.get(ENV_VAR)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _target_name(fullname: str) -> str:
    return TARGET + fullname[len(SOURCE) :]


class _AliasLoader(importlib.abc.Loader):
    """Hands out an already imported langgraph_jit module under its langgraph name."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.own_spec = getattr(module, "__spec__", None)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self.module

    def exec_module(self, module: Any) -> None:
        # The import system stamps the alias spec on the module; the module's
        # identity (and importlib.reload) must keep pointing at langgraph_jit.
        if self.own_spec is not None:
            module.__spec__ = self.own_spec


class LangGraphAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves `langgraph` and `langgraph.*` to `langgraph_jit` and `langgraph_jit.*`."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != SOURCE and not fullname.startswith(SOURCE + "."):
            return None
        jit_name = _target_name(fullname)
        try:
            module = importlib.import_module(jit_name)
        except ModuleNotFoundError as exc:
            if (
                exc.name is not None
                and exc.name != jit_name
                and not jit_name.startswith(exc.name + ".")
            ):
                raise  # a dependency of our module is missing: say which one
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: the langgraph_jit switch is on and "
                f"langgraph_jit does not provide {fullname!r} (looked for {jit_name!r}). "
                "Run this program without the switch (LANGGRAPH_JIT=0) to use LangGraph itself.",
                name=fullname,
            ) from None
        is_package = hasattr(module, "__path__")
        spec = importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=is_package)
        if is_package:
            spec.submodule_search_locations = list(module.__path__)
        return spec

    def __repr__(self) -> str:
        return "<langgraph_jit switch: langgraph -> langgraph_jit>"


_FINDER: LangGraphAliasFinder | None = None


def installed() -> bool:
    return _FINDER is not None and _FINDER in sys.meta_path


def _foreign_langgraph_modules() -> list[str]:
    out = []
    for name, module in list(sys.modules.items()):
        if name != SOURCE and not name.startswith(SOURCE + "."):
            continue
        if module is None:
            continue
        own = getattr(module, "__name__", "")
        if own != TARGET and not own.startswith(TARGET + "."):
            out.append(name)
    return sorted(out)


def install(*, force: bool = False) -> bool:
    """Turn the switch on for this process; returns whether it is on.

    Honours LANGGRAPH_JIT=0 (leave LangGraph in place) unless `force`. Raises
    RuntimeError if real LangGraph modules were imported already: objects built
    from them would otherwise mix with ours.
    """
    global _FINDER
    if not force and not enabled_by_env(default=True):
        return False
    if installed():
        return True
    foreign = _foreign_langgraph_modules()
    if foreign:
        raise RuntimeError(
            "langgraph_jit.install() must run before LangGraph is imported; already "
            f"imported from LangGraph: {', '.join(foreign[:8])}"
            + (" ..." if len(foreign) > 8 else "")
            + ". Call it at the very top of the program, or use `python -m langgraph_jit run`."
        )
    for name in [n for n, m in sys.modules.items() if m is None and n.split(".")[0] == SOURCE]:
        del sys.modules[name]  # negative import-cache entries
    _FINDER = LangGraphAliasFinder()
    sys.meta_path.insert(0, _FINDER)
    importlib.invalidate_caches()
    return True


def at_startup() -> None:
    """Run by `langgraph_jit_switch.pth` when Python starts with LANGGRAPH_JIT set: turn
    the switch on when it says so (an explicit 1/true/yes/on; unset or 0 leave LangGraph
    in place). Never raises: a failing startup hook would only print a traceback for
    every Python process in the environment."""
    if not enabled_by_env(default=False):
        return
    try:
        install()
    except Exception as exc:  # pragma: no cover - nothing is imported this early
        print(f"langgraph_jit: LANGGRAPH_JIT is set but the switch failed: {exc}", file=sys.stderr)


def uninstall() -> None:
    """Turn the switch off and forget the `langgraph.*` aliases (modules already
    bound by the program keep pointing at langgraph_jit)."""
    global _FINDER
    if _FINDER is not None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(_FINDER)
        _FINDER = None
    for name in [n for n in sys.modules if n == SOURCE or n.startswith(SOURCE + ".")]:
        del sys.modules[name]
