"""`stream_events(version="v3")` on a graph: a transformer mux over the graph's own v2
stream (`stream_mode` = what the transformers need, `subgraphs=True`), read through a
pull-driven run handle. Nothing here runs unless a caller asks for v3."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from langgraph_jit._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_STREAM_MESSAGES_V2,
    NS_SEP,
)
from langgraph_jit.stream._mux import StreamMux, TransformerFactory
from langgraph_jit.stream._types import StreamTransformer
from langgraph_jit.stream.run_stream import AsyncGraphRunStream, GraphRunStream
from langgraph_jit.stream.transformers import (
    LifecycleTransformer,
    MessagesTransformer,
    SubgraphTransformer,
    ValuesTransformer,
)

# Every v3 run has these, in this order; the graph's and the caller's come after.
BUILTIN_TRANSFORMERS: tuple[TransformerFactory, ...] = (
    ValuesTransformer,
    MessagesTransformer,
    LifecycleTransformer,
    SubgraphTransformer,
)

# v3 decides these itself: the stream modes come from the transformers, and subgraph
# events must reach the child muxes.
_OWNED_KWARGS = ("stream_mode", "subgraphs")


_BETA_MESSAGE = "The v3 streaming protocol on Pregel is experimental."
# LangGraph marks v3 streaming beta in two places per flavour (the entry point and the
# run handle), and LangChain's beta marker warns once per place per process.
_beta_warned: set[str] = set()


def _warn_beta(place: str, stacklevel: int) -> None:
    """Warn once per `place`. The two places of a flavour warn from different lines
    (`stacklevel`), so the "default" action LangChain sets for this category shows both."""
    if place in _beta_warned:
        return
    _beta_warned.add(place)
    try:
        # langchain_core is optional for us; a program without it sees no warning, as
        # it could not run LangGraph (which depends on it) either.
        from langchain_core._api.beta_decorator import LangChainBetaWarning
    except ImportError:
        return
    warnings.warn(_BETA_MESSAGE, LangChainBetaWarning, stacklevel=stacklevel + 1)


def reject_owned_kwargs(kwargs: dict[str, Any]) -> None:
    owned = [k for k in _OWNED_KWARGS if k in kwargs]
    if owned:
        raise TypeError(
            "stream_events(version='v3') / astream_events(version='v3') do not accept "
            f"{', '.join(owned)}: v3 sets them (the stream modes its transformers need, "
            "and subgraphs=True so nested namespaces reach their scoped muxes)."
        )


def normalize_factories(
    specs: Sequence[Callable[[tuple[str, ...]], Any]] | None,
) -> list[TransformerFactory]:
    """Transformer specs as factories of a scope. A class taking the scope is one; a
    built instance is refused, since each subgraph scope needs a fresh one."""
    factories: list[TransformerFactory] = []
    for spec in specs or ():
        if isinstance(spec, StreamTransformer):
            raise TypeError(
                "stream_events(version='v3') transformers must be scope-aware callables, "
                f"got pre-built instance {type(spec).__name__}. Pass the transformer class "
                "or a factory like `lambda scope: MyTransformer(scope, ...)`."
            )
        if not callable(spec):
            raise TypeError(
                "stream_events(version='v3') transformers must be scope-aware callables, "
                f"got {type(spec).__name__}."
            )
        factories.append(_call_with_scope(spec))
    return factories


def _call_with_scope(spec: Callable[[tuple[str, ...]], Any]) -> TransformerFactory:
    def factory(scope: tuple[str, ...]) -> StreamTransformer:
        return spec(scope)

    return factory


def stream_modes_of(mux: StreamMux) -> list[str]:
    """The union of the modes the mux's transformers need (and only those)."""
    modes: dict[str, None] = {}
    for transformer in mux._transformers:
        for mode in getattr(transformer, "required_stream_modes", ()):
            modes[mode] = None
    return list(modes)


def _scope_of(graph: Any, config: dict | None) -> tuple[str, ...]:
    # the namespace the run streams under: a graph called inside a node runs in
    # its task's namespace, and its own projections are the events there
    ns = graph._merge_config(config).get(CONF, {}).get(CONFIG_KEY_CHECKPOINT_NS)
    return tuple(ns.split(NS_SEP)) if ns else ()


def _v2_messages_config(config: dict | None) -> dict | None:
    # the run streams chat-model output as per-message protocol events
    # (MessagesTransformer reads them)
    config = dict(config or {})
    config[CONF] = {**(config.get(CONF) or {}), CONFIG_KEY_STREAM_MESSAGES_V2: True}
    return config


def _mux_for(graph: Any, config: dict | None, transformers: Any, is_async: bool) -> StreamMux:
    return StreamMux(
        factories=[
            *BUILTIN_TRANSFORMERS,
            *normalize_factories(getattr(graph, "stream_transformers", ())),
            *normalize_factories(transformers),
        ],
        scope=_scope_of(graph, config),
        is_async=is_async,
    )


def _v2_call(
    graph: Any,
    config: dict | None,
    transformers: Any,
    is_async: bool,
    run_kwargs: dict[str, Any],
) -> tuple[StreamMux, dict | None, dict[str, Any]]:
    """The run's mux, and the config and keywords of the v2 stream it reads."""
    mux = _mux_for(graph, config, transformers, is_async=is_async)
    kwargs = {
        "stream_mode": stream_modes_of(mux),
        "subgraphs": True,
        "version": "v2",
        # Always passed, None when omitted, as LangGraph passes them.
        "interrupt_before": None,
        "interrupt_after": None,
        "control": None,
        **run_kwargs,
    }
    return mux, _v2_messages_config(config), kwargs


def stream_events_v3(
    graph: Any,
    input: Any,
    config: dict | None,
    *,
    transformers: Any = None,
    **kwargs: Any,
) -> GraphRunStream:
    """`kwargs`: the rest of `stream`'s keywords (interrupt_before/after, control, ...)."""
    _warn_beta("stream_events", 3)
    mux, v2_config, stream_kwargs = _v2_call(graph, config, transformers, False, kwargs)
    parts = graph.stream(input, v2_config, **stream_kwargs)
    _warn_beta("GraphRunStream", 1)
    return GraphRunStream(iter(parts), mux)


async def astream_events_v3(
    graph: Any,
    input: Any,
    config: dict | None,
    *,
    transformers: Any = None,
    **kwargs: Any,
) -> AsyncGraphRunStream:
    _warn_beta("astream_events", 3)
    mux, v2_config, stream_kwargs = _v2_call(graph, config, transformers, True, kwargs)
    parts = graph.astream(input, v2_config, **stream_kwargs)
    _warn_beta("AsyncGraphRunStream", 1)
    return AsyncGraphRunStream(parts.__aiter__(), mux)
