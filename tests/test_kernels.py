"""The step kernels: interpreted twin vs numba-compiled kernel, kernel selection,
and whole Pregel runs on the compiled path vs the python path.

The interpreted twin (plain Python lists) is the oracle; a naive set-based
reference checks the twin itself. Compiled comparisons are skipped only when
numba cannot be imported.
"""

from __future__ import annotations

import operator
import os
import random
import subprocess
import sys

import pytest

from langgraph_jit import _kernels
from langgraph_jit._kernels import step_python, step_source

try:
    import numpy as np

    from langgraph_jit._kernels import compiled as _compiled_mod
except ImportError:  # numba (or numpy) not installed: nothing compiled to compare
    np = None
    _compiled_mod = None

needs_numba = pytest.mark.skipif(
    _compiled_mod is None, reason="numba is not importable: no compiled kernels to compare"
)

SEEDS = range(150)


# -- random inputs ------------------------------------------------------------


def random_topology(rng: random.Random) -> dict:
    """CSR trigger tables shaped like `Topology` builds them: triggers in
    declaration order (duplicates allowed), c2n in ascending node order."""
    n_nodes = rng.randint(1, 300)
    n_chan = rng.randint(1, 300)
    max_trig = rng.choice((1, 2, 3, 6))
    trig_ptr = [0]
    trig_chan: list[int] = []
    for _ in range(n_nodes):
        k = rng.randint(0, max_trig)
        for _ in range(k):
            trig_chan.append(rng.randrange(n_chan))
        trig_ptr.append(len(trig_chan))
    c2n: list[list[int]] = [[] for _ in range(n_chan)]
    for n in range(n_nodes):
        for slot in range(trig_ptr[n], trig_ptr[n + 1]):
            c = trig_chan[slot]
            if not c2n[c] or c2n[c][-1] != n:
                c2n[c].append(n)
    c2n_ptr = [0]
    c2n_node: list[int] = []
    for lst in c2n:
        c2n_node.extend(lst)
        c2n_ptr.append(len(c2n_node))
    return {
        "n_nodes": n_nodes,
        "n_chan": n_chan,
        "trig_ptr": trig_ptr,
        "trig_chan": trig_chan,
        "c2n_ptr": c2n_ptr,
        "c2n_node": c2n_node,
    }


def random_state(rng: random.Random, topo: dict) -> dict:
    max_v = rng.choice((1, 3, 20, 10**6))
    p_avail = rng.random()
    versions = [rng.randint(0, max_v) for _ in range(topo["n_chan"])]
    available = [1 if rng.random() < p_avail else 0 for _ in range(topo["n_chan"])]
    seen = [rng.randint(0, max_v) for _ in range(len(topo["trig_chan"]))]
    stamp = rng.randint(1, 50)
    # Marks left by earlier steps are all older than the current stamp.
    mark = [rng.randint(0, stamp - 1) for _ in range(topo["n_nodes"])]
    return {
        "versions": versions,
        "available": available,
        "seen": seen,
        "mark": mark,
        "stamp": stamp,
    }


def random_step(rng: random.Random, topo: dict, state: dict) -> dict:
    n_nodes, n_chan = topo["n_nodes"], topo["n_chan"]
    ran = rng.sample(range(n_nodes), rng.randint(0, n_nodes))
    if ran and rng.random() < 0.2:
        ran.append(rng.choice(ran))  # a node listed twice must be harmless
    # Few bumps exercise the insertion sort, many the mark sweep.
    k = rng.choice((0, 1, 2, rng.randint(0, min(16, n_chan)), rng.randint(0, n_chan)))
    bumped = rng.sample(range(n_chan), k)
    p_avail = rng.random()
    bumped_available = [1 if rng.random() < p_avail else 0 for _ in bumped]
    return {
        "ran": ran,
        "bumped": bumped,
        "bumped_available": bumped_available,
        "next_version": max(state["versions"], default=0) + 1,
    }


def as_arrays(topo: dict, state: dict):
    i64 = lambda xs: np.array(xs, dtype=np.int64)
    t = tuple(i64(topo[k]) for k in ("trig_ptr", "trig_chan", "c2n_ptr", "c2n_node"))
    s = {
        "versions": i64(state["versions"]),
        "available": np.array(state["available"], dtype=np.uint8),
        "seen": i64(state["seen"]),
        "mark": i64(state["mark"]),
    }
    return t, s


def copy_state(state: dict) -> dict:
    return {k: (list(v) if isinstance(v, list) else v) for k, v in state.items()}


# -- the kernels themselves ----------------------------------------------------


def run_commit(kernels, topo_t, st, step, out, as_array=None):
    conv_i = conv_u = lambda xs: xs
    if as_array is not None:
        conv_i = lambda xs: np.array(xs, dtype=np.int64)
        conv_u = lambda xs: np.array(xs, dtype=np.uint8)
    tp, tc, cp, cn = topo_t
    return kernels.commit_and_plan(
        tp,
        tc,
        cp,
        cn,
        st["versions"],
        st["available"],
        st["seen"],
        conv_i(step["ran"]),
        len(step["ran"]),
        conv_i(step["bumped"]),
        conv_u(step["bumped_available"]),
        len(step["bumped"]),
        step["next_version"],
        st["mark"],
        st["stamp"],
        out,
    )


def reference_commit(topo: dict, state: dict, step: dict) -> tuple[list[int], dict]:
    """Obviously-correct restatement of commit_and_plan with sets and sorted()."""
    versions = list(state["versions"])
    available = list(state["available"])
    seen = list(state["seen"])
    tp, tc = topo["trig_ptr"], topo["trig_chan"]
    for n in step["ran"]:
        for slot in range(tp[n], tp[n + 1]):
            seen[slot] = versions[tc[slot]]
    for c, a in zip(step["bumped"], step["bumped_available"]):
        versions[c] = step["next_version"]
        available[c] = a
    changed = {c for c, a in zip(step["bumped"], step["bumped_available"]) if a}
    candidates = {
        n for n in range(topo["n_nodes"]) if any(tc[s] in changed for s in range(tp[n], tp[n + 1]))
    }
    nxt = sorted(
        n
        for n in candidates
        if any(available[tc[s]] and versions[tc[s]] > seen[s] for s in range(tp[n], tp[n + 1]))
    )
    return nxt, {"versions": versions, "available": available, "seen": seen}


@pytest.mark.parametrize("kernels", [step_source, step_python], ids=["source", "python"])
@pytest.mark.parametrize("seed", SEEDS)
def test_commit_and_plan_twin_matches_reference(seed, kernels):
    rng = random.Random(seed)
    topo = random_topology(rng)
    state = random_state(rng, topo)
    topo_t = (topo["trig_ptr"], topo["trig_chan"], topo["c2n_ptr"], topo["c2n_node"])
    # Several consecutive steps on the same state, as a run does.
    for _ in range(4):
        step = random_step(rng, topo, state)
        want_nodes, want_state = reference_commit(topo, state, step)
        st = copy_state(state)
        out = [0] * topo["n_nodes"]
        n = run_commit(kernels, topo_t, st, step, out)
        assert out[:n] == want_nodes
        for key in ("versions", "available", "seen"):
            assert st[key] == want_state[key], key
        state = {**state, **want_state, "stamp": state["stamp"] + 1}


@pytest.mark.parametrize("seed", SEEDS)
def test_python_plan_kernels_match_source(seed):
    """step_python (the interpreted path) against step_source (what numba
    compiles), on the read-only planning kernels."""
    rng = random.Random(seed)
    topo = random_topology(rng)
    state = random_state(rng, topo)
    tp, tc = topo["trig_ptr"], topo["trig_chan"]
    args = (state["versions"], state["available"], state["seen"])
    for n in range(topo["n_nodes"]):
        assert step_python.node_is_triggered(tp, tc, *args, n) == step_source.node_is_triggered(
            tp, tc, *args, n
        )
    for _ in range(3):
        order = rng.sample(range(topo["n_nodes"]), rng.randint(0, topo["n_nodes"]))
        p_seen = rng.choice((0.0, 0.5, 1.0))
        has_seen = [1 if rng.random() < p_seen else 0 for _ in range(topo["n_nodes"])]
        outs = []
        for kernels in (step_source, step_python):
            out = [0] * topo["n_nodes"]
            n = kernels.plan_nodes(tp, tc, *args, has_seen, order, len(order), out)
            outs.append(out[:n])
        assert outs[0] == outs[1]


@needs_numba
@pytest.mark.parametrize("seed", SEEDS)
def test_commit_and_plan_compiled_matches_twin(seed):
    rng = random.Random(seed)
    topo = random_topology(rng)
    state = random_state(rng, topo)
    topo_lists = (topo["trig_ptr"], topo["trig_chan"], topo["c2n_ptr"], topo["c2n_node"])
    topo_arrs, arr_state = as_arrays(topo, state)
    arr_state["stamp"] = state["stamp"]
    py_state = copy_state(state)
    out_py = [0] * topo["n_nodes"]
    out_np = np.zeros(topo["n_nodes"], dtype=np.int64)
    # Several consecutive steps on the same state, as a run does.
    for _ in range(4):
        step = random_step(rng, topo, py_state)
        n_py = run_commit(step_source, topo_lists, py_state, step, out_py)
        n_np = run_commit(_compiled_mod, topo_arrs, arr_state, step, out_np, as_array=True)
        assert type(n_np) is int
        assert n_np == n_py
        assert out_np[:n_np].tolist() == out_py[:n_py]
        for key in ("versions", "available", "seen", "mark"):
            assert arr_state[key].tolist() == py_state[key], key
        py_state["stamp"] += 1
        arr_state["stamp"] += 1


@needs_numba
@pytest.mark.parametrize("seed", SEEDS)
def test_plan_nodes_and_node_is_triggered_compiled_match_twin(seed):
    rng = random.Random(seed)
    topo = random_topology(rng)
    state = random_state(rng, topo)
    topo_arrs, arr_state = as_arrays(topo, state)
    tp, tc = topo["trig_ptr"], topo["trig_chan"]
    tp_a, tc_a = topo_arrs[0], topo_arrs[1]

    for n in range(topo["n_nodes"]):
        want = step_source.node_is_triggered(
            tp, tc, state["versions"], state["available"], state["seen"], n
        )
        got = _compiled_mod.node_is_triggered(
            tp_a, tc_a, arr_state["versions"], arr_state["available"], arr_state["seen"], n
        )
        assert type(got) is bool
        assert got == want
        assert want == any(
            state["available"][tc[s]] and state["versions"][tc[s]] > state["seen"][s]
            for s in range(tp[n], tp[n + 1])
        )

    for _ in range(3):
        order = rng.sample(range(topo["n_nodes"]), rng.randint(0, topo["n_nodes"]))
        p_seen = rng.choice((0.0, 0.5, 1.0))
        has_seen = [1 if rng.random() < p_seen else 0 for _ in range(topo["n_nodes"])]
        out_py = [0] * topo["n_nodes"]
        out_np = np.zeros(topo["n_nodes"], dtype=np.int64)
        n_py = step_source.plan_nodes(
            tp,
            tc,
            state["versions"],
            state["available"],
            state["seen"],
            has_seen,
            order,
            len(order),
            out_py,
        )
        n_np = _compiled_mod.plan_nodes(
            tp_a,
            tc_a,
            arr_state["versions"],
            arr_state["available"],
            arr_state["seen"],
            np.array(has_seen, dtype=np.uint8),
            np.array(order, dtype=np.int64),
            len(order),
            out_np,
        )
        assert type(n_np) is int
        assert n_np == n_py
        assert out_np[:n_np].tolist() == out_py[:n_py]
        # LangGraph's _triggers: a node that never ran (no versions_seen entry)
        # fires on any trigger holding a value.
        assert out_py[:n_py] == [
            n
            for n in order
            if (
                step_source.node_is_triggered(
                    tp, tc, state["versions"], state["available"], state["seen"], n
                )
                if has_seen[n]
                else any(state["available"][tc[s]] for s in range(tp[n], tp[n + 1]))
            )
        ]
        # plan_nodes only reads the run state.
        assert arr_state["versions"].tolist() == state["versions"]
        assert arr_state["seen"].tolist() == state["seen"]


# -- choosing the kernels -------------------------------------------------------


class _EnvPatch:
    """monkeypatch whose environment changes also make the kernel settings
    be read again (they are read once per process otherwise)."""

    def __init__(self, monkeypatch):
        self._mp = monkeypatch

    def setenv(self, name, value):
        self._mp.setenv(name, value)
        _kernels.reload_settings()

    def delenv(self, name, raising=True):
        self._mp.delenv(name, raising=raising)
        _kernels.reload_settings()

    def __getattr__(self, name):
        return getattr(self._mp, name)


@pytest.fixture
def fresh_kernels(monkeypatch):
    """Forget which kernels this process loaded (monkeypatch restores them)."""
    for var in (
        "LANGGRAPH_JIT_KERNELS",
        "LANGGRAPH_JIT_NODE_THRESHOLD",
        "LANGGRAPH_JIT_WIDE_STEP",
        "LANGGRAPH_JIT_DISABLE_JIT",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(_kernels, "_compiled", None)
    monkeypatch.setattr(_kernels, "_compiled_failed", False)
    monkeypatch.setattr(_kernels, "_background", None)
    monkeypatch.setattr(_kernels, "_asks", 0)
    monkeypatch.setattr(_kernels, "_mode_logged", False)
    # Restored by monkeypatch at teardown, so later tests see the real env.
    monkeypatch.setattr(_kernels, "_settings", None)
    return _EnvPatch(monkeypatch)


def test_kernel_settings_are_read_once_until_reloaded(fresh_kernels):
    fresh_kernels.setenv("LANGGRAPH_JIT_WIDE_STEP", "5")
    assert _kernels.wide_step_threshold() == 5
    fresh_kernels._mp.setenv("LANGGRAPH_JIT_WIDE_STEP", "9")  # not re-read yet
    assert _kernels.wide_step_threshold() == 5
    _kernels.reload_settings()
    assert _kernels.wide_step_threshold() == 9
    fresh_kernels.setenv("LANGGRAPH_JIT_WIDE_STEP", "many")
    with pytest.raises(ValueError, match="LANGGRAPH_JIT_WIDE_STEP"):
        _kernels.wide_step_threshold()


def test_kernels_for_python_mode(fresh_kernels):
    fresh_kernels.setenv("LANGGRAPH_JIT_KERNELS", "python")
    for n in (0, 1, 10**6):
        assert _kernels.kernels_for(n) == (step_python, False)
    assert _kernels._compiled is None  # never loaded numba for it


@needs_numba
def test_kernels_for_compiled_mode(fresh_kernels):
    fresh_kernels.setenv("LANGGRAPH_JIT_KERNELS", "compiled")
    for n in (0, 1, 10**6):
        assert _kernels.kernels_for(n) == (_compiled_mod, True)


@needs_numba
def test_kernels_for_auto_honours_threshold(fresh_kernels):
    fresh_kernels.setenv("LANGGRAPH_JIT_KERNELS", " AUTO ")
    fresh_kernels.setenv("LANGGRAPH_JIT_NODE_THRESHOLD", "7")
    assert _kernels.kernels_for(6) == (step_python, False)
    # A large graph never loads numba for the step kernels (they do not pay for
    # the load end to end): it runs the Python twins, asking as often as it likes,
    # until something else has loaded them (here warmup()); then it gets them.
    for _ in range(3):
        assert _kernels.kernels_for(7) == (step_python, False)
    assert _kernels._background is None and _kernels.kernels_loading()
    assert _kernels.warmup()
    assert not _kernels.kernels_loading()
    assert _kernels.kernels_for(6) == (step_python, False)
    assert _kernels.kernels_for(7) == (_compiled_mod, True)
    assert _kernels.kernels_for(500) == (_compiled_mod, True)
    fresh_kernels.delenv("LANGGRAPH_JIT_NODE_THRESHOLD")
    fresh_kernels.delenv("LANGGRAPH_JIT_KERNELS")
    thr = _kernels.DEFAULT_NODE_THRESHOLD
    assert _kernels.node_threshold() == thr
    assert _kernels.kernels_for(thr - 1) == (step_python, False)
    assert _kernels.kernels_for(thr) == (_compiled_mod, True)


def test_kernels_for_disable_jit(fresh_kernels):
    fresh_kernels.setenv("LANGGRAPH_JIT_DISABLE_JIT", "1")
    fresh_kernels.setenv("LANGGRAPH_JIT_KERNELS", "compiled")
    assert _kernels.kernels_for(10**6) == (step_python, False)
    assert _kernels.jit_enabled() is False
    assert _kernels.warmup() is False
    # The failure is remembered: clearing the variable later does not reload.
    fresh_kernels.delenv("LANGGRAPH_JIT_DISABLE_JIT")
    assert _kernels.kernels_for(10**6) == (step_python, False)


def test_kernels_for_numba_missing(fresh_kernels):
    # A None entry in sys.modules makes `from ... import compiled` raise ImportError.
    fresh_kernels.setitem(sys.modules, "langgraph_jit._kernels.compiled", None)
    fresh_kernels.delattr(_kernels, "compiled", raising=False)
    fresh_kernels.setenv("LANGGRAPH_JIT_KERNELS", "compiled")
    assert _kernels.kernels_for(10**6) == (step_python, False)
    assert _kernels.jit_enabled() is False


def test_kernels_for_rejects_bad_env(fresh_kernels):
    fresh_kernels.setenv("LANGGRAPH_JIT_KERNELS", "numba")
    with pytest.raises(ValueError, match="LANGGRAPH_JIT_KERNELS"):
        _kernels.kernels_for(1)
    fresh_kernels.setenv("LANGGRAPH_JIT_KERNELS", "auto")
    fresh_kernels.setenv("LANGGRAPH_JIT_NODE_THRESHOLD", "lots")
    with pytest.raises(ValueError, match="LANGGRAPH_JIT_NODE_THRESHOLD"):
        _kernels.kernels_for(1)


@needs_numba
def test_warmup_in_background_returns_at_once(fresh_kernels):
    assert _kernels.warmup(background=True) is True
    thread = _kernels._background
    assert thread is not None and thread.daemon
    thread.join(timeout=120)
    assert _kernels._compiled is _compiled_mod
    assert _kernels.warmup() is True  # already loaded: returns without a new thread
    assert _kernels._background is thread


def test_cache_dir_is_per_user_unless_numba_cache_dir_is_set(monkeypatch, tmp_path):
    from langgraph_jit._kernels.cache import cache_dir

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir() == str(tmp_path / "explicit")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == str(tmp_path / "xdg" / "langgraph_jit" / "numba")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == str(tmp_path / "home" / ".cache" / "langgraph_jit" / "numba")


_NO_STALL_PROGRAM = """
import sys, threading
importers = []

class Spy:
    # records which thread imports numba; finds nothing itself
    def find_spec(self, name, path=None, target=None):
        if name == "numba":
            importers.append(threading.current_thread().name)
        return None

sys.meta_path.insert(0, Spy())
import langgraph_jit
from langgraph_jit import _kernels
from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
from langgraph_jit.pregel import NodeBuilder, Pregel
import operator

n = 24
nodes = {
    f"n{i}": NodeBuilder().subscribe_only(f"c{i}").do(lambda x: x).write_to("sink")
    for i in range(n)
}
channels = {f"c{i}": LastValue(int) for i in range(n)}
channels["sink"] = BinaryOperatorAggregate(int, operator.add)
app = Pregel(nodes=nodes, channels=channels, input_channels=[f"c{i}" for i in range(n)],
             output_channels="sink")
first = app.invoke({f"c{i}": i for i in range(n)})
second = app.invoke({f"c{i}": i for i in range(n)})
assert _kernels._background is None, "wide steps loaded numba for the step kernels"
assert _kernels.warmup(background=True)  # returns at once: runs go on meanwhile
loader = _kernels._background
assert loader is not None
during = app.invoke({f"c{i}": i for i in range(n)})
loader.join(timeout=300)
later = app.invoke({f"c{i}": i for i in range(n)})
assert _kernels.promotion_target() is not None
assert first == second == during == later == sum(range(n)), (first, second, during, later)
assert importers == ["langgraph_jit-kernels"], importers
import numba
print(numba.config.CACHE_DIR)
"""


@needs_numba
def test_auto_mode_imports_numba_off_the_callers_thread(tmp_path):
    """In auto mode wide steps never load numba (nor wait for it); a background
    warm-up imports it and loads the kernels on the loader thread while runs go
    on, and the results are the same before, during and after."""
    env = dict(os.environ, LANGGRAPH_JIT_KERNELS="auto", LANGGRAPH_JIT_WIDE_STEP="8")
    env.pop("LANGGRAPH_JIT_DISABLE_JIT", None)
    env.pop("NUMBA_CACHE_DIR", None)
    env["XDG_CACHE_HOME"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", _NO_STALL_PROGRAM], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    cache = tmp_path / "langgraph_jit" / "numba"
    assert proc.stdout.strip() == str(cache)
    assert any(cache.rglob("*.nbi")), "the kernels were not cached in the per-user dir"


def test_import_and_python_kernels_do_not_import_numba():
    code = (
        "import sys, langgraph_jit\n"
        "from langgraph_jit._kernels import kernels_for\n"
        "assert 'numba' not in sys.modules, 'import langgraph_jit imported numba'\n"
        "kernels_for(10**6)\n"
        "assert 'numba' not in sys.modules, 'disabled JIT still imported numba'\n"
    )
    env = dict(os.environ, LANGGRAPH_JIT_DISABLE_JIT="1", LANGGRAPH_JIT_KERNELS="auto")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# -- ChannelTable returns plain Python ints ---------------------------------------


def _fan_in_graph(n: int):
    from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
    from langgraph_jit.pregel import NodeBuilder, Pregel

    nodes = {
        f"n{i:03d}": NodeBuilder().subscribe_only(f"c{i}").do(lambda x: x).write_to("sink")
        for i in range(n)
    }
    channels = {f"c{i}": LastValue(int) for i in range(n)}
    channels["sink"] = BinaryOperatorAggregate(int, operator.add)
    return Pregel(
        nodes=nodes,
        channels=channels,
        input_channels=[f"c{i}" for i in range(n)],
        output_channels="sink",
    )


def _assert_plain_ints(xs):
    assert isinstance(xs, list)
    for x in xs:
        assert type(x) is int, (type(x), xs)


@pytest.mark.parametrize("mode", ["python", pytest.param("compiled", marks=needs_numba)])
def test_channel_table_returns_python_ints(fresh_kernels, mode):
    from langgraph_jit.pregel._core.table import ChannelTable

    fresh_kernels.setenv("LANGGRAPH_JIT_KERNELS", mode)
    graph = _fan_in_graph(20)
    topo = graph._topology
    channels = [graph.channels[name] for name in topo.chan_names]
    channels = [ch.from_checkpoint(ch.checkpoint()) for ch in channels]
    table = ChannelTable(topo, channels, [0] * topo.n_channels, [0] * len(topo.trig_chan))
    assert table.compiled is (mode == "compiled")

    writes = [(f"c{i}", i) for i in range(0, 20, 3)]
    bumped, bumped_avail, next_nodes = table.apply_writes([], [], writes, True)
    for xs in (bumped, bumped_avail, next_nodes):
        _assert_plain_ints(xs)
    assert next_nodes == [topo.node_id[f"n{i:03d}"] for i in range(0, 20, 3)]
    planned = table.plan(topo.insertion_order)
    _assert_plain_ints(planned)
    assert planned == [topo.node_id[f"n{i:03d}"] for i in range(0, 20, 3)]
    table.mark_seen(planned)  # as the run loop does for the tasks it starts
    assert type(table.version(topo.chan_id["c0"])) is int
    for c, v in table.seen_of(next_nodes[0]):
        assert type(c) is int and type(v) is int

    bumped, bumped_avail, next_nodes = table.apply_writes(
        planned, [], [("sink", 1)] * len(planned), True
    )
    for xs in (bumped, bumped_avail, next_nodes):
        _assert_plain_ints(xs)
    assert next_nodes == []
    assert table.plan(topo.insertion_order) == []
    assert table.max_version == 2 and type(table.max_version) is int


# -- whole runs: compiled path vs python path ---------------------------------------


def _fold(x):
    if x is None:
        return 0
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, int):
        return x
    if isinstance(x, dict):
        return sum(_fold(v) * (i + 1) for i, v in enumerate(x.values()))
    if isinstance(x, (list, tuple)):
        return sum(_fold(v) for v in x) + len(x)
    return 1


def random_pregel(seed: int, checkpointer=None, lib: str = "langgraph_jit"):
    """A random low-level graph. Nodes mostly write to later channels, so most
    runs end; the rest hit the recursion limit or a LastValue conflict, which
    both paths must report identically. lib="langgraph" builds the same graph
    with LangGraph's classes."""
    import importlib

    TASKS = "__pregel_tasks"
    channels_mod = importlib.import_module(f"{lib}.channels")
    BinaryOperatorAggregate = channels_mod.BinaryOperatorAggregate
    EphemeralValue = channels_mod.EphemeralValue
    LastValue = channels_mod.LastValue
    Topic = channels_mod.Topic
    pregel_mod = importlib.import_module(f"{lib}.pregel")
    NodeBuilder, Pregel = pregel_mod.NodeBuilder, pregel_mod.Pregel
    write_mod = "langgraph.pregel._write" if lib == "langgraph" else f"{lib}.pregel._node"
    ChannelWriteEntry = importlib.import_module(write_mod).ChannelWriteEntry
    ChannelWriteTupleEntry = importlib.import_module(write_mod).ChannelWriteTupleEntry
    Send = importlib.import_module(f"{lib}.types").Send

    rng = random.Random(seed)
    n_chan = rng.randint(2, 14)
    n_nodes = rng.randint(1, 12)
    kinds = []
    channels = {}
    for c in range(n_chan):
        kind = rng.choice(("last", "add", "add", "topic", "topic", "ephemeral"))
        kinds.append(kind)
        channels[f"ch{c}"] = {
            "last": lambda: LastValue(int),
            "add": lambda: BinaryOperatorAggregate(int, operator.add),
            "topic": lambda: Topic(int, accumulate=rng.random() < 0.5),
            "ephemeral": lambda: EphemeralValue(int),
        }[kind]()
    nodes = {}
    names = [f"node{i}" for i in range(n_nodes)]
    for i, name in enumerate(names):
        k = 0 if i == 0 else rng.randint(0, n_chan - 1)
        mult = rng.randint(1, 5)
        top = k
        if rng.random() < 0.5:
            builder = NodeBuilder().subscribe_only(f"ch{k}")
        else:
            extra = rng.sample(range(n_chan), rng.randint(1, min(3, n_chan)))
            top = max(k, *extra)
            builder = NodeBuilder().subscribe_to(*sorted({f"ch{j}" for j in [k, *extra]}))
            if rng.random() < 0.3:
                builder = builder.read_from(f"ch{rng.randrange(n_chan)}")
        builder = builder.do(lambda x, m=mult, s=i: (_fold(x) * m + s) % 1000)
        # Mostly forward edges; a back edge now and then makes loops.
        targets = set()
        for _ in range(rng.randint(0, 2)):
            if top + 1 < n_chan and rng.random() < 0.93:
                targets.add(rng.randint(top + 1, n_chan - 1))
            elif rng.random() < 0.2:
                targets.add(rng.randrange(n_chan))
        entries = [ChannelWriteEntry(f"ch{t}") for t in sorted(targets)]
        if rng.random() < 0.2 and i + 1 < n_nodes:
            # Send to a later node, with a payload derived from the output.
            target = names[rng.randint(i + 1, n_nodes - 1)]
            entries.append(
                ChannelWriteTupleEntry(mapper=lambda v, t=target: [(TASKS, Send(t, v % 7))])
            )
        nodes[name] = builder.write_to(*entries)
    n_out = rng.randint(1, n_chan)
    output = sorted(rng.sample(list(channels), n_out))
    if n_out == 1 and rng.random() < 0.5:
        output = output[0]
    graph = Pregel(
        nodes=nodes,
        channels=channels,
        input_channels="ch0",
        output_channels=output,
        stream_channels=output,
        checkpointer=checkpointer,
    )
    return graph, rng.randint(0, 50)


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as exc:  # compared across paths: type and message must match
        return ("raised", type(exc).__name__, str(exc))


def _run_graph(seed: int, compiled: bool, monkeypatch) -> dict:
    from langgraph_jit.checkpoint.memory import InMemorySaver
    from langgraph_jit.pregel._core import table as _table

    used = []
    real_kernels_for = _table.kernels_for

    def spy(n_nodes, *args):
        result = real_kernels_for(n_nodes, *args)
        used.append(result[1])
        return result

    monkeypatch.setattr(_table, "kernels_for", spy)
    monkeypatch.setattr(_kernels, "_settings", None)  # restored at teardown
    _EnvPatch(monkeypatch).setenv("LANGGRAPH_JIT_KERNELS", "compiled" if compiled else "python")
    graph, value = random_pregel(seed)
    if not compiled:
        graph._force_compiled = False
    # One worker: a step's tasks then finish (and stream) in a fixed order;
    # with threads the order of their update chunks may differ run to run.
    cfg = {"recursion_limit": 12, "max_concurrency": 1}
    result = {
        "invoke": _outcome(lambda: graph.invoke(value, cfg)),
        "stream": _outcome(
            lambda: list(graph.stream(value, cfg, stream_mode=["values", "updates"]))
        ),
    }
    # With a checkpointer: two invokes on one thread, the second resuming from
    # versions and versions_seen loaded out of the saved checkpoint.
    saver_graph, _ = random_pregel(seed, checkpointer=InMemorySaver())
    if not compiled:
        saver_graph._force_compiled = False
    thread = {"configurable": {"thread_id": "t"}, "recursion_limit": 12, "max_concurrency": 1}
    result["saved"] = [
        _outcome(lambda: saver_graph.invoke(value, thread)),
        _outcome(lambda: list(saver_graph.stream(value + 1, thread, stream_mode="updates"))),
        _outcome(
            lambda: (saver_graph.get_state(thread).values, saver_graph.get_state(thread).next)
        ),
    ]
    assert used and all(u == compiled for u in used), used
    return result


@needs_numba
@pytest.mark.parametrize("seed", range(60))
def test_pregel_compiled_and_python_paths_agree(seed, fresh_kernels):
    python_run = _run_graph(seed, False, fresh_kernels)
    compiled_run = _run_graph(seed, True, fresh_kernels)
    assert compiled_run == python_run


def test_random_pregel_graphs_mostly_finish():
    """Guard against the generator degenerating into all-error graphs."""
    ok = 0
    for seed in range(60):
        graph, value = random_pregel(seed)
        graph._force_compiled = False
        ok += _outcome(lambda g=graph, v=value: g.invoke(v, {"recursion_limit": 12}))[0] == "ok"
    assert ok >= 30


def _wide_graph(width: int):
    """start fans out to `width` workers (one channel each) which all feed a
    BinaryOperatorAggregate; a join reads it: steps of `width` tasks."""
    import operator

    from langgraph_jit.channels import BinaryOperatorAggregate, LastValue
    from langgraph_jit.pregel import NodeBuilder, Pregel

    nodes = {
        "start": NodeBuilder()
        .subscribe_only("inp")
        .do(lambda x: x)
        .write_to(*[f"c{i}" for i in range(width)]),
        **{
            f"w{i:03d}": NodeBuilder()
            .subscribe_only(f"c{i}")
            .do(lambda x, i=i: x + i)
            .write_to("sink")
            for i in range(width)
        },
        "join": NodeBuilder().subscribe_only("sink").do(lambda x: x).write_to("out"),
    }
    channels = {
        "inp": LastValue(int),
        **{f"c{i}": LastValue(int) for i in range(width)},
        "sink": BinaryOperatorAggregate(int, operator.add),
        "out": LastValue(int),
    }
    return Pregel(
        nodes=nodes, channels=channels, input_channels="inp", output_channels=["out", "sink"]
    )


@pytest.mark.skipif(not _kernels.jit_enabled(), reason="numba not available or disabled")
def test_auto_mode_promotes_wide_steps_to_compiled(monkeypatch):
    """A run starts interpreted and switches to the compiled kernel at its
    first wide step; the results match a run that never switches."""
    from langgraph_jit.pregel._core import table as _table

    promoted = []
    original = _table.ChannelTable._promote

    def spy(self):
        original(self)
        promoted.append(self.compiled)

    monkeypatch.setattr(_table.ChannelTable, "_promote", spy)
    monkeypatch.setattr(_kernels, "_settings", None)  # restored at teardown
    env = _EnvPatch(monkeypatch)
    env.setenv("LANGGRAPH_JIT_KERNELS", "auto")
    env.setenv("LANGGRAPH_JIT_WIDE_STEP", "8")
    auto = _wide_graph(20)
    got = [auto.invoke(1), list(auto.stream(2, stream_mode=["updates", "values"]))]
    assert promoted and all(promoted)

    env.setenv("LANGGRAPH_JIT_KERNELS", "python")
    plain = _wide_graph(20)
    expected = [plain.invoke(1), list(plain.stream(2, stream_mode=["updates", "values"]))]

    def canonical(chunks):
        return sorted(repr(c) for c in chunks)

    assert got[0] == expected[0]
    assert canonical(got[1]) == canonical(expected[1])
