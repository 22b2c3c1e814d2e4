"""10-turn create_react_agent conversation with two tools, with and without a checkpointer,
on LangGraph and on langgraph_jit (through the switch), measured side by side in one run.

    .venv/bin/python bench/react_agent_switch.py [--repeat 5]

Each engine runs in its own subprocess (the switch is per process); the parent prints the
best-of-N time per conversation and the ratio LangGraph / langgraph_jit (>1: we are faster).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

WORKER = r'''
import json, sys, time, warnings
warnings.filterwarnings("ignore")
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.prebuilt import create_react_agent

class Scripted(BaseChatModel):
    _n: list = PrivateAttr(default_factory=lambda: [0])
    @property
    def _llm_type(self): return "scripted"
    def _generate(self, messages, stop=None, run_manager=None, **kw):
        i = self._n[0]; self._n[0] += 1
        if i % 2 == 0:
            msg = AIMessage("", tool_calls=[
                {"name": "add", "args": {"a": i, "b": 1}, "id": f"a{i}", "type": "tool_call"},
                {"name": "weather", "args": {"city": "Oslo"}, "id": f"w{i}", "type": "tool_call"}])
        else:
            msg = AIMessage(f"answer {i}")
        return ChatResult(generations=[ChatGeneration(message=msg)])
    def bind_tools(self, tools, **kw):
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools])

@tool
def add(a: int, b: int) -> int:
    """Add."""
    return a + b

@tool
def weather(city: str) -> str:
    """Weather."""
    return "sunny in " + city

def conversation(checkpointer):
    agent = create_react_agent(Scripted(), [add, weather], checkpointer=checkpointer)
    cfg = {"configurable": {"thread_id": "bench"}}
    state = {"messages": []}
    t0 = time.perf_counter()
    for turn in range(10):
        msg = {"messages": [HumanMessage(f"turn {turn}")]}
        if checkpointer is not None:
            agent.invoke(msg, cfg)
        else:
            state = agent.invoke({"messages": list(state["messages"]) + msg["messages"]})
    return time.perf_counter() - t0

repeat = int(sys.argv[-1])
conversation(None); conversation(InMemorySaver())  # warm-up
out = {"no_checkpointer": min(conversation(None) for _ in range(repeat)),
       "in_memory_saver": min(conversation(InMemorySaver()) for _ in range(repeat))}
engine = sys.modules["langgraph.prebuilt"].__name__.split(".")[0]
print(json.dumps({"engine": engine, **out}))
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for flag in ("0", "1"):
        env = dict(os.environ, LANGGRAPH_JIT=flag)
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import langgraph_jit, sys; langgraph_jit.install(); exec(compile(sys.argv[1], 'worker', 'exec'))",
                WORKER,
                str(args.repeat),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if proc.returncode:
            sys.exit(proc.stderr)
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        results[data.pop("engine")] = data
    print(
        f"{'10-turn create_react_agent, 2 tools':40s} {'langgraph':>11s} {'langgraph_jit':>14s} {'ratio':>7s}"
    )
    for case in ("no_checkpointer", "in_memory_saver"):
        lg, jit = results["langgraph"][case], results["langgraph_jit"][case]
        print(f"{case:40s} {lg * 1e3:9.2f}ms {jit * 1e3:12.2f}ms {lg / jit:6.2f}x")


if __name__ == "__main__":
    main()
