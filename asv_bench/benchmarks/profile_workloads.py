"""Issue 20: what the profiler costs, as rows of the side-by-side comparison.

Each row runs the same graph three ways on langgraph_jit: plain, with the profiler
imported, used once and stopped ("-profile-off": must be the plain row within noise),
and inside `langgraph_jit.profile()` ("-profile-on": each run records a profile of its
own; under 10% more invoke time than plain on every row). LangGraph has no profiler:
its rows run plain, so every row's ratio is against the same LangGraph time.

    .venv/bin/python -m asv_bench.compare --quick --rounds 2 --engines langgraph,jit \\
        --only 'graph-agent-tools*,graph-chain-100,graph-chain-100-profile*' --out /tmp/x

`python -m asv_bench.benchmarks.profile_workloads [--rounds N]` measures the same three
ways in one process by CPU time (steadier on a busy machine): the cost per step. By
instruction count (steady on a loaded machine), one way per process:

    valgrind --tool=callgrind --toggle-collect=functools_reduce --callgrind-out-file=/tmp/on.cg \
        .venv/bin/python -m asv_bench.benchmarks.profile_workloads --count on --slow 57 [--saver]

(the total it prints / 20 runs = instructions per invoke; --count plain for the base).

The agent is the notebook's (notebooks/06_where_time_goes.ipynb): a fake chat model
that asks for a tool until its last turn, a ToolNode, 5 turns. `graph-chain-100-profile-on`
is the worst case, 100 nodes doing nothing, so the engine's few microseconds a step are
all there is to compare the recording with (its steps are the ones whose planning and
commit the profiler samples instead of timing each, see pregel/_profile.py).
"""

from __future__ import annotations

from typing import Any

from .workloads import Api, Workload, graph_chain

AGENT_TURNS = 5


def _profiled(api: Api, run: Any, mode: str) -> Any:
    """`run` as the row's mode asks: "plain", "off" or "on" (langgraph_jit only)."""
    if api.engine != "jit" or mode == "plain":
        return run
    from langgraph_jit import profile

    if mode == "off":
        with profile():  # used once and stopped: nothing of it may stay on the path
            run()
        return run

    def run_profiled() -> Any:
        # Recording only: the report is worked out once, when read (not per run).
        with profile():
            return run()

    return run_profiled


def _fake_model(turns: int) -> Any:
    """A chat model answering from a script: a tool call per turn, then an answer."""
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
    from langchain_core.messages import AIMessage

    script = [
        AIMessage(
            content="",
            id=f"ai{k}",
            tool_calls=[{"name": "lookup", "args": {"k": k}, "id": f"call{k}"}],
        )
        for k in range(turns - 1)
    ]
    script.append(AIMessage(content="done", id=f"ai{turns - 1}"))

    class ScriptedModel(FakeMessagesListChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

    return ScriptedModel(responses=script)


def agent_tools(api: Api, turns: int, saver: Any, mode: str = "plain") -> Workload:
    """An agent with a (fake) chat model and a ToolNode; `turns` model calls."""
    from typing import Annotated, TypedDict

    from langchain_core.messages import HumanMessage
    from langchain_core.tools import tool

    g = api.graph()
    ToolNode = api.module("prebuilt").ToolNode

    @tool
    def lookup(k: int) -> str:
        """Look k up."""
        return f"value {k}"

    State = TypedDict("State", {"messages": Annotated[list, g.add_messages]})  # noqa: UP013
    model = _fake_model(turns)

    def agent(state: Any) -> Any:
        return {"messages": [model.invoke(state["messages"])]}

    def route(state: Any) -> Any:
        return "tools" if state["messages"][-1].tool_calls else g.END

    builder = g.StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([lookup]))
    builder.add_edge(g.START, "agent")
    builder.add_conditional_edges("agent", route, ["tools", g.END])
    builder.add_edge("tools", "agent")
    checkpointer = api.InMemorySaver() if saver else None
    graph = builder.compile(checkpointer=checkpointer)
    counter = iter(range(10**9))
    steps = 2 * turns - 1

    def run() -> Any:
        model.i = 0  # the script starts over
        config: dict[str, Any] = {"recursion_limit": steps + 10}
        if checkpointer is not None:
            config["configurable"] = {"thread_id": f"t{next(counter)}"}
        out = graph.invoke({"messages": [HumanMessage(content="go", id="h0")]}, config)
        assert len(out["messages"]) == 2 * turns, len(out["messages"])
        return out

    def floor() -> None:
        # The nodes' own work as plain calls: the model's turns and the tool's.
        model.i = 0
        messages: list[Any] = [HumanMessage(content="go", id="h0")]
        for k in range(turns):
            messages.append(model.invoke(messages))
            if k < turns - 1:
                lookup.invoke({"k": k})

    name = f"graph-agent-tools{'' if mode == 'plain' else '-profile-' + mode}"
    return Workload(
        name, _profiled(api, run, mode), steps, steps, "step", floor, graph, checkpointer
    )


def chain_profiled(api: Api, n: int, saver: Any, mode: str) -> Workload:
    """`graph_chain`'s n trivial nodes, with the profiler off or on."""
    wl = graph_chain(api, n, saver)
    wl.run = _profiled(api, wl.run, mode)
    return wl


# Registered into workloads.WORKLOADS (name -> (builder, needs the graph API)).
PROFILE_WORKLOADS = {
    "graph-agent-tools": (lambda api, s: agent_tools(api, AGENT_TURNS, s), True),
    "graph-agent-tools-profile-off": (
        lambda api, s: agent_tools(api, AGENT_TURNS, s, "off"),
        True,
    ),
    "graph-agent-tools-profile-on": (lambda api, s: agent_tools(api, AGENT_TURNS, s, "on"), True),
    "graph-chain-100-profile-off": (lambda api, s: chain_profiled(api, 100, s, "off"), True),
    "graph-chain-100-profile-on": (lambda api, s: chain_profiled(api, 100, s, "on"), True),
}


def overhead(rounds: int = 9, calls: int = 20) -> list[dict[str, Any]]:
    """Process CPU time of plain / off / on runs, interleaved: each round times `calls`
    runs of each mode (their median), the modes in a rotating order; the overheads
    are the medians of the rounds' ratios to plain (paired within a round, so a busy
    spell of the machine shifts all three), the times the medians of the rounds."""
    import gc
    import statistics
    import time

    api = Api("jit")
    cases = {
        "graph-agent-tools": lambda mode, saver: agent_tools(api, AGENT_TURNS, saver, mode),
        "graph-chain-100": lambda mode, saver: chain_profiled(api, 100, saver, mode),
    }
    modes = ("plain", "off", "on")
    out = []
    for name, make in cases.items():
        for saver in (False, True):
            runs = {mode: make(mode, saver) for mode in modes}
            for wl in runs.values():
                for _ in range(5):
                    wl.run()
            samples: dict[str, list[float]] = {mode: [] for mode in runs}
            for r in range(rounds):
                for mode in modes[r % 3 :] + modes[: r % 3]:
                    wl = runs[mode]
                    times = []
                    for _ in range(calls):
                        gc.collect()
                        t0 = time.process_time()
                        wl.run()
                        times.append(time.process_time() - t0)
                    samples[mode].append(statistics.median(times))
            med = {mode: statistics.median(v) for mode, v in samples.items()}

            def pct(mode: str, samples: dict[str, list[float]] = samples) -> float:
                ratios = [m / p for m, p in zip(samples[mode], samples["plain"], strict=True)]
                return (statistics.median(ratios) - 1) * 100

            steps = runs["plain"].steps
            on_pct = pct("on")
            out.append(
                {
                    "workload": name,
                    "saver": saver,
                    **{f"{mode}_ms": med[mode] * 1e3 for mode in med},
                    "off_pct": pct("off"),
                    "on_pct": on_pct,
                    "on_us_per_step": med["plain"] * on_pct / 100 / steps * 1e6,
                }
            )
    return out


def count(mode: str, saver: bool, runs: int, slow: float) -> None:
    """`runs` invokes of graph-chain-100 in one `functools.reduce` call, after a warm-up:
    under `valgrind --tool=callgrind --toggle-collect=functools_reduce` only they are
    counted (instructions per invoke = the total / runs; steady on a busy machine). `slow`:
    valgrind's slowdown (~57x here), so the profiler samples as many steps as natively."""
    import functools
    import gc

    from langgraph_jit.pregel import _profile

    _profile.TIMED_STEP *= slow
    _profile.SAMPLE_GAP *= slow
    wl = chain_profiled(Api("jit"), 100, saver, mode)
    for _ in range(5):
        wl.run()
    gc.collect()
    gc.disable()  # when the collector runs is chance here (a saver's storage grows)
    functools.reduce(lambda _, __: wl.run(), range(runs), None)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="profiler off/on cost (process CPU time)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--count",
        choices=("plain", "off", "on"),
        help="only run graph-chain-100 this way, for callgrind (see `count`)",
    )
    parser.add_argument("--saver", action="store_true", help="with --count: InMemorySaver")
    parser.add_argument("--runs", type=int, default=20, help="with --count: invokes counted")
    parser.add_argument("--slow", type=float, default=1.0, help="with --count: see `count`")
    args = parser.parse_args()
    if args.count:
        count(args.count, args.saver, args.runs, args.slow)
        raise SystemExit(0)
    print(
        f"{'workload':<20}{'saver':<7}{'plain ms':>10}{'off ms':>10}{'on ms':>10}"
        f"{'off':>9}{'on':>9}{'on µs/step':>12}"
    )
    for row in overhead(args.rounds):
        print(
            f"{row['workload']:<20}{'yes' if row['saver'] else '-':<7}{row['plain_ms']:>10.3f}"
            f"{row['off_ms']:>10.3f}{row['on_ms']:>10.3f}{row['off_pct']:>+8.1f}%"
            f"{row['on_pct']:>+8.1f}%{row['on_us_per_step']:>12.2f}"
        )
