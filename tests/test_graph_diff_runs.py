"""Differential tests of running a compiled StateGraph against LangGraph 1.2.22: v2 stream parts,
invoke with version="v2" (GraphOutput), stream_mode and output_keys on invoke, compile-time and
runtime breakpoints, resuming, state history and replay, update_state and durability modes.
"""

import pytest

from diff_helpers import (
    MODES,
    SUBGRAPH_KNOWN,
    S,
    assert_same,
    capture,
    cfg,
    chain,
    collect_stream,
    mode_key,
    observe_all_modes,
    parent_with_subgraph,
    state_of,
)

pytestmark = pytest.mark.timeout(60)


# ---------------------------------------------------------------------------
# Streaming: v2 parts and GraphOutput


def test_stream_v2_and_invoke_v2():
    def program(lg):
        app = parent_with_subgraph(lg, child_interrupt_before=["c2"])
        plain = parent_with_subgraph(lg)
        out = {}
        for mode in MODES:
            c = cfg("v2-" + mode_key(mode))
            out[mode_key(mode)] = collect_stream(
                lambda c=c, mode=mode: app.stream({"foo": "in"}, c, stream_mode=mode, version="v2")
            )
            out[mode_key(mode) + ":subgraphs"] = collect_stream(
                lambda c=c, mode=mode: plain.stream(
                    {"foo": "in"}, c, stream_mode=mode, version="v2", subgraphs=True
                )
            )
        c = cfg("inv")
        out["invoke"] = capture(lambda: app.invoke({"foo": "in"}, c, version="v2"))
        out["invoke-resume"] = capture(lambda: app.invoke(None, c, version="v2"))
        return out

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_invoke_v2_non_values_mode_returns_parts():
    def program(lg):
        app = chain(lg, "a", "b")
        return {
            "updates": capture(
                lambda: app.invoke({"x": "1"}, cfg("u"), stream_mode="updates", version="v2")
            ),
            "multi": capture(
                lambda: app.invoke(
                    {"x": "1"}, cfg("m"), stream_mode=["values", "updates"], version="v2"
                )
            ),
        }

    assert_same(program)


def test_invoke_v2_with_dynamic_interrupt():
    def program(lg):
        from importlib import import_module

        interrupt = import_module(lg.types.__name__).interrupt

        def ask(state):
            answer = interrupt({"q": state["x"]})
            return {"x": "answer:" + str(answer)}

        b = lg.StateGraph(S)
        b.add_node("ask", ask)
        b.add_edge(lg.START, "ask")
        app = b.compile(checkpointer=lg.InMemorySaver())
        out = {
            "v1": capture(lambda: app.invoke({"x": "q1"}, cfg("v1"))),
            "v2": capture(lambda: app.invoke({"x": "q1"}, cfg("v2"), version="v2")),
            "v2-stream": collect_stream(
                lambda: app.stream(
                    {"x": "q1"}, cfg("s"), stream_mode=["values", "updates"], version="v2"
                )
            ),
            "resume": capture(
                lambda: app.invoke(lg.Command(resume="yes"), cfg("v2"), version="v2")
            ),
            "resume-v1": capture(lambda: app.invoke(lg.Command(resume="yes"), cfg("v1"))),
        }
        out["state"] = state_of(app, cfg("v2"))
        return out

    assert_same(program)


def test_invoke_stream_mode_variants():
    def program(lg):
        app = chain(lg, "a", "b")
        return {
            "updates": capture(lambda: app.invoke({"x": "1"}, cfg("u"), stream_mode="updates")),
            "multi": capture(
                lambda: app.invoke({"x": "1"}, cfg("m"), stream_mode=["values", "updates"])
            ),
            "output_keys": capture(lambda: app.invoke({"x": "1"}, cfg("o"), output_keys="log")),
            "output_keys-list": capture(
                lambda: app.invoke({"x": "1"}, cfg("o2"), output_keys=["x"])
            ),
            "stream-default": collect_stream(lambda: app.stream({"x": "1"}, cfg("d"))),
            "stream_mode-attr": app.stream_mode,
        }

    assert_same(program)


# ---------------------------------------------------------------------------
# Breakpoints, resume, history


def test_breakpoints_compile_time_and_resume():
    def program(lg):
        app = chain(lg, "a", "b", "c", interrupt_before=["b"], interrupt_after=["c"])
        c = cfg("bp")
        out = {
            "first": collect_stream(
                lambda: app.stream({"x": "in"}, c, stream_mode=["values", "updates"])
            )
        }
        out["state1"] = capture(lambda: app.get_state(c))
        out["resume1"] = collect_stream(
            lambda: app.stream(None, c, stream_mode=["values", "updates"])
        )
        out["state2"] = capture(lambda: app.get_state(c))
        out["resume2"] = capture(lambda: app.invoke(None, c))
        out["after"] = state_of(app, c)
        out["invoke-first"] = capture(lambda: app.invoke({"x": "in"}, cfg("inv")))
        return out

    assert_same(program)


def test_breakpoints_runtime_and_new_input_discards():
    def program(lg):
        app = chain(lg, "a", "b", "c")
        c = cfg("rt")
        out = {
            "first": capture(lambda: app.invoke({"x": "in"}, c, interrupt_after=["a"])),
            "next": capture(lambda: app.get_state(c).next),
            "resume": capture(lambda: app.invoke(None, c, interrupt_before=["c"])),
            "next2": capture(lambda: app.get_state(c).next),
            "new-input": capture(lambda: app.invoke({"x": "again"}, c)),
        }
        out["history"] = state_of(app, c)
        out["all-modes"] = observe_all_modes(app, {"x": "in"}, interrupt_before=["b"])
        return out

    assert_same(program)


def test_interrupt_before_all_and_subgraph_node():
    def program(lg):
        app = chain(lg, "a", "b", interrupt_before="*")
        c = cfg("all")
        out = {"steps": []}
        out["steps"].append(capture(lambda: app.invoke({"x": "1"}, c)))
        for _ in range(3):
            out["steps"].append(capture(lambda: (app.invoke(None, c), app.get_state(c).next)))
        parent = parent_with_subgraph(lg)
        c2 = cfg("sub")
        out["sub-first"] = capture(
            lambda: parent.invoke({"foo": "in"}, c2, interrupt_before=["sub"])
        )
        out["sub-next"] = capture(lambda: parent.get_state(c2).next)
        out["sub-resume"] = capture(lambda: parent.invoke(None, c2))
        return out

    assert_same(program, ignore=SUBGRAPH_KNOWN)


def test_get_state_history_filters_and_replay():
    def program(lg):
        app = chain(lg, "a", "b", "c")
        c = cfg("h")
        app.invoke({"x": "1"}, c)
        app.invoke({"x": "2"}, c)
        hist = list(app.get_state_history(c))
        out = {
            "history": hist,
            "limit": list(app.get_state_history(c, limit=2)),
            "filter": list(app.get_state_history(c, filter={"source": "input"})),
            "before": list(app.get_state_history(c, before=hist[2].config, limit=2)),
        }
        return out

    assert_same(program)


def test_replay_from_past_checkpoint_forks():
    def program(lg):
        app = chain(lg, "a", "b", "c")
        c = cfg("h")
        app.invoke({"x": "1"}, c)
        app.invoke({"x": "2"}, c)
        target = next(s for s in app.get_state_history(c) if s.next == ("b",))
        return {
            "replay": collect_stream(
                lambda: app.stream(None, target.config, stream_mode=["values", "checkpoints"])
            ),
            "history": list(app.get_state_history(c)),
        }

    assert_same(program)


def test_update_state_on_state_graph():
    def program(lg):
        app = chain(lg, "a", "b", interrupt_before=["b"])
        c = cfg("u")
        out = {"first": capture(lambda: app.invoke({"x": "in"}, c))}
        out["update"] = capture(lambda: app.update_state(c, {"x": "edited", "log": ["edit"]}))
        out["state"] = capture(lambda: app.get_state(c))
        out["resume"] = capture(lambda: app.invoke(None, c))
        out["as_node"] = capture(lambda: app.update_state(c, {"log": ["as-a"]}, as_node="a"))
        out["after"] = state_of(app, c)
        return out

    assert_same(program)


def test_durability_modes():
    def program(lg):
        out = {}
        for d in ("sync", "async", "exit"):
            app = chain(lg, "a", "b")
            c = cfg(d)
            out[d] = capture(lambda app=app, c=c, d=d: app.invoke({"x": "1"}, c, durability=d))
            out[d + ":history"] = [(s.metadata["step"], s.next) for s in app.get_state_history(c)]
        return out

    assert_same(program)
