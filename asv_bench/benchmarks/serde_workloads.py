"""Serializer workloads (issue 16, serialization at C speed): encode + decode with
JsonPlusSerializer of what agents keep in their state, on LangGraph and on langgraph_jit.

    messages-30   a 30-turn agent thread: 61 langchain messages (AI with tool calls, tools)
    pydantic      a pydantic v2 state: scalars, lists, a dict and 20 nested records
    dataclass     a dataclass state with 50 dataclass records
    ndarray       a 1000x8 float64 numpy array

asv runs `SerdeWorkloads` (time_dumps, time_loads, time_roundtrip per engine and payload).
Side by side, interleaved, with ratios:

    .venv/bin/python -m asv_bench.benchmarks.serde_workloads [--rounds 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import timeit
from typing import Any

import pydantic

ENGINES = ["langgraph", "jit"]
PKG = {"langgraph": "langgraph", "jit": "langgraph_jit"}
PAYLOADS = ["messages-30", "pydantic", "dataclass", "ndarray"]


class Record(pydantic.BaseModel):
    key: str
    value: float
    tags: list[str] = []


class AgentState(pydantic.BaseModel):
    user: str
    step: int
    scores: list[float]
    notes: dict[str, str]
    records: list[Record]
    done: bool = False


@dataclasses.dataclass
class Row:
    key: str
    value: float
    tags: list


@dataclasses.dataclass
class TableState:
    name: str
    step: int
    rows: list
    meta: dict


def payload(name: str) -> Any:
    """The value a workload encodes (the same objects for both engines)."""
    if name == "messages-30":
        from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

        msgs: list[Any] = [HumanMessage(content="go", id="h0")]
        for k in range(30):
            msgs.append(
                AIMessage(
                    content=f"turn {k}",
                    id=f"ai{k}",
                    tool_calls=[{"name": "t", "args": {"k": k}, "id": f"call{k}"}],
                )
            )
            msgs.append(ToolMessage(content=str(k), tool_call_id=f"call{k}", id=f"tool{k}"))
        return msgs
    if name == "pydantic":
        return AgentState(
            user="u1",
            step=7,
            scores=[i / 7 for i in range(20)],
            notes={f"n{i}": "note " * 3 for i in range(10)},
            records=[Record(key=f"r{i}", value=i * 1.5, tags=["a", "b"]) for i in range(20)],
        )
    if name == "dataclass":
        rows = [Row(f"r{i}", i * 1.5, ["a", "b"]) for i in range(50)]
        return TableState("t", 3, rows, {"owner": "me", "size": 50})
    if name == "ndarray":
        import numpy as np

        return np.random.default_rng(0).standard_normal((1000, 8))
    raise ValueError(name)


def serializer(engine: str) -> Any:
    mod = importlib.import_module(f"{PKG[engine]}.checkpoint.serde.jsonplus")
    # Both allowed to rebuild the payloads' classes.
    return mod.JsonPlusSerializer(allowed_msgpack_modules=[Record, AgentState, Row, TableState])


class SerdeWorkloads:
    params = [ENGINES, PAYLOADS]
    param_names = ["engine", "payload"]

    def setup(self, engine: str, name: str) -> None:
        self.serde = serializer(engine)
        self.obj = payload(name)
        self.data = self.serde.dumps_typed(self.obj)
        self.serde.loads_typed(self.data)  # warm the class caches

    def time_dumps(self, engine: str, name: str) -> None:
        self.serde.dumps_typed(self.obj)

    def time_loads(self, engine: str, name: str) -> None:
        self.serde.loads_typed(self.data)

    def time_roundtrip(self, engine: str, name: str) -> None:
        self.serde.loads_typed(self.serde.dumps_typed(self.obj))


def _best(fn: Any, budget: float = 0.2) -> float:
    """Seconds per call: the best of 5 repeats of a batch taking about `budget`."""
    n = max(1, int(budget / max(timeit.timeit(fn, number=1), 1e-7)))
    return min(timeit.repeat(fn, number=n, repeat=5)) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median taken)")
    args = ap.parse_args()
    import statistics

    serdes = {e: serializer(e) for e in ENGINES}
    print("| payload | op | LangGraph | langgraph_jit | ratio |")
    print("|---|---|---:|---:|---:|")
    for name in PAYLOADS:
        obj = payload(name)
        data = {e: serdes[e].dumps_typed(obj) for e in ENGINES}
        for op in ("dumps", "loads", "roundtrip"):
            times: dict[str, list[float]] = {e: [] for e in ENGINES}
            for _ in range(args.rounds):
                for e in ENGINES:  # interleaved: both engines see the same machine load
                    s, d = serdes[e], data[e]
                    fn = {
                        "dumps": lambda s=s, o=obj: s.dumps_typed(o),
                        "loads": lambda s=s, d=d: s.loads_typed(d),
                        "roundtrip": lambda s=s, o=obj: s.loads_typed(s.dumps_typed(o)),
                    }[op]
                    times[e].append(_best(fn))
            lg, jit = (statistics.median(times[e]) for e in ENGINES)
            print(f"| {name} | {op} | {lg * 1e6:.1f} µs | {jit * 1e6:.1f} µs | {lg / jit:.2f}x |")


if __name__ == "__main__":
    main()
