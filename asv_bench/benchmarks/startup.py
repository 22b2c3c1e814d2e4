"""Import time and a cold first invoke, each in a fresh interpreter (asv timeraw_)."""

import os
import subprocess
import sys

CHAIN = """
from {pkg}.channels import LastValue
from {pkg}.pregel import NodeBuilder, Pregel
n = {n}
graph = Pregel(
    nodes={{f"n{{i}}": NodeBuilder().subscribe_only(f"c{{i}}").do(lambda x: x + 1).write_to(f"c{{i + 1}}")
            for i in range(n)}},
    channels={{f"c{{i}}": LastValue(int) for i in range(n + 1)}},
    input_channels="c0", output_channels=f"c{{n}}",
)
assert graph.invoke(0, {{"recursion_limit": n + 10}}) == n
"""


class Import:
    """`import` of the package plus the modules a graph needs."""

    params = [["langgraph", "jit", "jit-graph-api"]]
    param_names = ["what"]
    repeat = (3, 10, 20.0)

    def timeraw_import(self, what):
        if what == "langgraph":
            return "import langgraph.pregel, langgraph.channels, langgraph.checkpoint.memory, langgraph.graph"
        if what == "jit":
            return "import langgraph_jit, langgraph_jit.pregel, langgraph_jit.channels, langgraph_jit.checkpoint.memory"
        return "import langgraph_jit.graph"


class FirstInvoke:
    """Import + build + first invoke of an n-node chain in a fresh process
    (numba's cache warmed in setup; chain-1000 engages the compiled kernels)."""

    params = [["langgraph", "jit"], [10, 1000]]
    param_names = ["engine", "n_nodes"]
    repeat = (3, 5, 30.0)
    timeout = 120

    def setup(self, engine, n):
        if engine == "jit":
            # Warm numba's on-disk cache, so the timing is a cache load.
            code = "import langgraph_jit; langgraph_jit.warmup()"
            subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ))

    def timeraw_first_invoke(self, engine, n):
        return CHAIN.format(pkg="langgraph" if engine == "langgraph" else "langgraph_jit", n=n)
