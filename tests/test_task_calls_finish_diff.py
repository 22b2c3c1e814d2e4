"""Task calls a task made but never waited for (an earlier call interrupted
it) still run within the step, on both engines: resuming then answers each
interrupt as LangGraph does, and every call ran the same number of times.
Without this rule the outcome depended on thread timing (most runs lost a call)."""

from __future__ import annotations

import importlib
import uuid
from collections import Counter
from typing import Any


def _run(pkg: str) -> Any:
    func = importlib.import_module(f"{pkg}.func")
    types = importlib.import_module(f"{pkg}.types")
    memory = importlib.import_module(f"{pkg}.checkpoint.memory")
    calls: Counter[str] = Counter()

    @func.task
    def ask_a() -> None:
        calls["a"] += 1
        types.interrupt("A")

    @func.task
    def ask_b() -> Any:
        calls["b"] += 1
        return types.interrupt("B")

    @func.entrypoint(checkpointer=memory.InMemorySaver())
    def workflow(_: Any) -> list[Any]:
        a, b = ask_a(), ask_b()
        return [a.result(), b.result()]

    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    seen = []
    workflow.invoke(1, config)
    for answer in ("x", "y"):
        pending = workflow.get_state(config).interrupts
        seen.append(sorted(i.value for i in pending))
        first = sorted(pending, key=lambda i: i.value)[0]
        result = workflow.invoke(types.Command(resume={first.id: answer}), config)
    return seen, result, dict(calls)


def test_unawaited_task_calls_finish_within_their_step() -> None:
    expected = _run("langgraph")
    for _ in range(10):  # timing-dependent before: every repetition must agree
        assert _run("langgraph_jit") == expected
