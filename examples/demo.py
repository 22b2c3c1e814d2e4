"""Demo: a small low-level Pregel graph on langgraph_jit, with checkpoints.

Run with `./scripts/demo.sh`.
"""

import operator
import time

import langgraph_jit
from langgraph_jit.channels import BinaryOperatorAggregate, EphemeralValue, LastValue
from langgraph_jit.checkpoint.memory import InMemorySaver
from langgraph_jit.pregel import NodeBuilder, Pregel

# Node "double" reads channel "a" and writes "b"; "shout" reads "b" and
# writes "c" plus a running total of string lengths into "total".
double = NodeBuilder().subscribe_only("a").do(lambda s: s + s).write_to("b")
shout = NodeBuilder().subscribe_only("b").do(lambda s: s.upper() + "!").write_to("c", total=len)
app = Pregel(
    nodes={"double": double, "shout": shout},
    channels={
        "a": EphemeralValue(str),
        "b": LastValue(str),
        "c": LastValue(str),
        "total": BinaryOperatorAggregate(int, operator.add),
    },
    input_channels=["a"],
    output_channels=["b", "c", "total"],
    checkpointer=InMemorySaver(),
)
config = {"configurable": {"thread_id": "demo"}}

print("compiled kernels available:", langgraph_jit.jit_enabled())
print("invoke:", app.invoke({"a": "hi"}, config))
for mode, chunk in app.stream({"a": "yo"}, config, stream_mode=["updates", "values"]):
    print(f"  {mode:8s} {chunk}")
print("history:", [s.metadata["step"] for s in app.get_state_history(config)])

# A 1000-node chain: the per-step engine overhead is what langgraph_jit cuts.
n = 1000
nodes = {
    f"n{i:04d}": NodeBuilder().subscribe_only(f"c{i}").do(lambda x: x + 1).write_to(f"c{i + 1}")
    for i in range(n)
}
chain = Pregel(
    nodes=nodes,
    channels={f"c{i}": LastValue(int) for i in range(n + 1)},
    input_channels="c0",
    output_channels=f"c{n}",
)
chain.invoke(0, {"recursion_limit": n + 10})  # first call may compile the kernels
start = time.perf_counter()
result = chain.invoke(0, {"recursion_limit": n + 10})
elapsed = time.perf_counter() - start
print(f"{n}-node chain -> {result} in {elapsed * 1e3:.1f} ms ({elapsed / n * 1e6:.1f} µs per step)")
