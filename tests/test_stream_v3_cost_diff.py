"""What the cheaper v3 event stream must not change, compared on both engines: the
config a node sees while its run streams messages (key order, one config per task,
the same object on every ask), messages nodes write in a Send fan-out (sent once, not
those of a task's input), a transformer that overrides `process` still seeing every
event, and a fan-out step's events, in order.
"""

from __future__ import annotations

import importlib
import operator
import warnings
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

pytestmark = pytest.mark.filterwarnings("ignore::Warning")

PKGS = ("langgraph", "langgraph_jit")


def _mod(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _both(fn: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn("langgraph"), fn("langgraph_jit")


class FanState(TypedDict):
    n: int
    results: Annotated[list, operator.add]


def _fan_out(pkg: str, work: Any, n: int = 5, extra: Any = None) -> Any:
    graph = _mod(pkg, "graph")
    types = _mod(pkg, "types")

    def start(state: FanState) -> dict[str, Any]:
        return {}

    def route(state: FanState) -> list[Any]:
        return [types.Send("work", {"x": i, **(extra or {})}) for i in range(state["n"])]

    builder = graph.StateGraph(FanState)
    builder.add_node("start", start)
    builder.add_node("work", work)
    builder.add_edge(graph.START, "start")
    builder.add_conditional_edges("start", route, ["work"])
    return builder.compile()


def test_node_config_shape_while_streaming_messages() -> None:
    """Task configs share the run's constant parts: every task still gets its own
    config, with LangGraph's keys in LangGraph's order, the same object each time
    it asks."""

    def run(pkg: str) -> Any:
        config_mod = _mod(pkg, "config")
        seen: list[Any] = []

        def work(state: dict[str, Any]) -> dict[str, Any]:
            config = config_mod.get_config()
            assert config is config_mod.get_config()
            seen.append(config)
            return {"results": [state["x"]]}

        g = _fan_out(pkg, work)
        stream = g.stream_events({"n": 3, "results": []}, {"tags": ["t"]}, version="v3")
        list(stream)
        shapes = []
        for config in sorted(seen, key=lambda c: c["metadata"]["langgraph_path"][1]):
            metadata = config["metadata"]
            shapes.append(
                (
                    list(metadata),
                    metadata["langgraph_node"],
                    metadata["langgraph_step"],
                    metadata["langgraph_path"][0],
                    list(config["tags"]),
                )
            )
        # every task's config has the same keys in the same order (the engines'
        # orders differ: LangGraph's get_config is its own merge)
        assert len({tuple(c) for c in seen}) == 1
        assert len({tuple(c["configurable"]) for c in seen}) == 1
        assert len({id(c) for c in seen}) == len(seen)
        assert len({id(c["metadata"]) for c in seen}) == len(seen)
        return shapes

    lg, jit = _both(run)
    assert jit == lg


def test_fan_out_messages_sent_once() -> None:
    """Messages written by Send tasks reach `run.messages` once each, and a message a
    task only read is not sent."""
    from langchain_core.messages import AIMessage, HumanMessage

    def run(pkg: str) -> Any:
        def work(state: dict[str, Any]) -> dict[str, Any]:
            x = state["x"]
            if x == 0:
                return {"results": [HumanMessage(content="read", id="seen")]}
            if x == 1:
                return {"results": [AIMessage(content="hi", id=f"ai{x}"), "plain"]}
            if x == 2:  # a message of its input, passed on
                return {"results": [state["m"]]}
            return {"results": [x]}

        g = _fan_out(pkg, work, n=4, extra={"m": HumanMessage(content="in", id="in")})
        stream = g.stream_events({"n": 4, "results": []}, None, version="v3")
        got = []
        for message_stream in stream.messages:
            got.append((message_stream.message_id, message_stream.node))
        return sorted(got, key=repr), stream.output["results"]

    lg, jit = _both(run)
    assert repr(jit) == repr(lg)


def test_overriding_transformer_sees_every_event() -> None:
    """Transformers that override `process` see every method's events; the built-in
    ones they extend keep their projection."""

    def run(pkg: str) -> Any:
        transformers = _mod(pkg, "stream.transformers")

        class Counting(transformers.ValuesTransformer):
            def __init__(self, scope: tuple[str, ...] = ()) -> None:
                super().__init__(scope)
                self.methods: list[str] = []

            def init(self) -> dict[str, Any]:
                return {"counted": self._log}

            def process(self, event: Any) -> bool:
                self.methods.append(event["method"])
                return super().process(event)

        made: list[Any] = []

        def factory(scope: tuple[str, ...]) -> Any:
            made.append(Counting(scope))
            return made[-1]

        def work(state: dict[str, Any]) -> dict[str, Any]:
            return {"results": [state["x"]]}

        g = _fan_out(pkg, work, n=3)
        stream = g.stream_events(
            {"n": 3, "results": []},
            None,
            version="v3",
            transformers=[factory, transformers.UpdatesTransformer],
        )
        counted = list(stream.extensions["counted"])
        updates = list(stream.updates)
        methods = sorted(set(made[0].methods))
        return methods, len(made[0].methods), counted, sorted(updates, key=repr)

    lg, jit = _both(run)
    assert jit == lg


@pytest.mark.parametrize("n", [1, 7])
def test_fan_out_event_sequence(n: int) -> None:
    """A Send step (run on the caller's thread when no task can stream while it
    runs) yields the same events as LangGraph's: values first and last, one update
    per task."""

    def run(pkg: str) -> Any:
        transformers = _mod(pkg, "stream.transformers")

        def work(state: dict[str, Any]) -> dict[str, Any]:
            return {"results": [state["x"] * 2]}

        g = _fan_out(pkg, work, n=n)
        stream = g.stream_events(
            {"n": n, "results": []},
            None,
            version="v3",
            transformers=[transformers.UpdatesTransformer],
        )
        events = [(e["method"], e["params"]["namespace"]) for e in stream]
        values = [e for e in events if e[0] == "values"]
        return (
            sorted(events, key=repr),
            values,
            events[0],
            events[-1],
            sorted(stream.output["results"]),
        )

    lg, jit = _both(run)
    assert jit == lg
