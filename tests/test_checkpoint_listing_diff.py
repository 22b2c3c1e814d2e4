"""Listing a thread from our SQL savers (issue 16): pages cut by `before`,
`limit` and `filter` replay their deltas from rows the listing left out, and
a listing's writes come back in replay order; what a user sees equals
LangGraph's."""

from __future__ import annotations

import operator
from typing import Annotated, TypedDict

import pytest

from langgraph_jit.checkpoint import _delta_rows
from saver_fixtures import fresh_database, pg_dsn, sync_saver  # noqa: F401

STEPS = _delta_rows.MAX_DEPTH * 2 + 9


@pytest.fixture
def db_factory(request):
    def factory():
        return fresh_database(request.getfixturevalue("pg_dsn"))

    return factory


def _graph(pkg: str, saver):
    g = __import__(f"{pkg}.graph", fromlist=["StateGraph"])
    State = TypedDict(  # noqa: UP013
        "State", {"i": int, "log": Annotated[list, operator.add], "tag": str}
    )

    def step(state):
        return {"i": state["i"] + 1, "log": [state["i"]]}

    def side(state):
        return {"tag": f"t{state['i']}", "log": [-state["i"]]}

    builder = g.StateGraph(State)
    builder.add_node("step", step)
    builder.add_node("side", side)
    builder.add_edge(g.START, "step")
    builder.add_edge(g.START, "side")
    builder.add_conditional_edges("step", lambda s: g.END if s["i"] >= STEPS else "step")
    return builder.compile(checkpointer=saver)


def _seen(snapshots) -> list:
    return [
        (
            s.values,
            s.next,
            s.metadata["step"],
            [(t.name, t.result) for t in s.tasks],
        )
        for s in snapshots
    ]


def _listings(graph) -> dict:
    cfg = {"configurable": {"thread_id": "l"}, "recursion_limit": STEPS + 20}
    graph.invoke({"i": 0, "log": [], "tag": ""}, cfg)
    history = list(graph.get_state_history(cfg))
    middle = history[len(history) // 2].config
    return {
        "all": _seen(history),
        "before": _seen(graph.get_state_history(cfg, before=middle)),
        "before+limit": _seen(graph.get_state_history(cfg, before=middle, limit=7)),
        "limit": _seen(graph.get_state_history(cfg, limit=3)),
        "filter": _seen(graph.get_state_history(cfg, filter={"step": STEPS // 2})),
        "filter-none": _seen(graph.get_state_history(cfg, filter={"step": 10**6})),
    }


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("remembered", [True, False])
def test_listings_match_langgraph(kind, remembered, tmp_path, db_factory):
    from langgraph.checkpoint.memory import InMemorySaver

    expected = _listings(_graph("langgraph", InMemorySaver()))
    with sync_saver(kind, tmp_path, db_factory) as saver:
        graph = _graph("langgraph_jit", saver)
        if not remembered:
            _delta_rows.forget()
        assert _listings(graph) == expected


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_what_a_listing_hands_out_is_the_callers(kind, tmp_path, db_factory):
    """Rows read back are remembered (rebuilt once); changing what a listing
    returned changes nothing the next reads see."""
    with sync_saver(kind, tmp_path, db_factory) as saver:
        graph = _graph("langgraph_jit", saver)
        cfg = {"configurable": {"thread_id": "m"}, "recursion_limit": STEPS + 20}
        graph.invoke({"i": 0, "log": [], "tag": ""}, cfg)
        first = list(saver.list(cfg))
        expected = [
            (dict(t.checkpoint["channel_versions"]), list(t.checkpoint["updated_channels"] or []))
            for t in first
        ]
        for t in first:
            t.checkpoint["channel_versions"]["i"] = "changed"
            t.checkpoint["versions_seen"].clear()
            if t.checkpoint["updated_channels"]:
                t.checkpoint["updated_channels"].append("changed")
            t.checkpoint["channel_values"].get("log", []).append("changed")
        for _ in range(2):
            again = list(saver.list(cfg))
            assert [
                (t.checkpoint["channel_versions"], t.checkpoint["updated_channels"] or [])
                for t in again
            ] == expected
            assert all(
                "changed" not in t.checkpoint["channel_values"].get("log", []) for t in again
            )
            assert graph.get_state(cfg).values["i"] == STEPS


def test_a_row_rewritten_under_the_same_type_is_read_again(tmp_path, db_factory):
    with sync_saver("postgres", tmp_path, db_factory) as saver:
        graph = _graph("langgraph_jit", saver)
        cfg = {"configurable": {"thread_id": "r"}, "recursion_limit": STEPS + 20}
        graph.invoke({"i": 0, "log": [], "tag": ""}, cfg)
        latest = saver.get_tuple(cfg).config["configurable"]["checkpoint_id"]
        assert next(iter(saver.list(cfg))).checkpoint["ts"] != "2000-01-01T00:00:00+00:00"
        with saver._connection() as conn:
            conn.execute(
                "UPDATE checkpoints SET checkpoint = jsonb_set(checkpoint, '{ts}', "
                "'\"2000-01-01T00:00:00+00:00\"') WHERE checkpoint_id = %s",
                (latest,),
            )
        assert next(iter(saver.list(cfg))).checkpoint["ts"] == "2000-01-01T00:00:00+00:00"
