"""`compiled_node(fn)`: a numeric node function run as one compiled loop over a step's packets.

`fn` is an ordinary LangGraph node: it takes a state dict and returns a dict of
updates. Called directly it is just `fn`. When a step sends many packets to it, the
engine (`pregel/_core/batch.py`) hands the packets' arguments to `run_batch`: the
fields `fn` reads (`state["x"]`) are gathered into typed NumPy columns and one
numba-compiled loop calls a rewritten `fn` (fields in as arguments, the update dict
out as a tuple) for every packet, writing each output key into a typed column.

The rewrite is an AST transform of `fn`'s source, compiled lazily per input
signature and never on the caller's thread unless the caller asked for it
(LANGGRAPH_JIT_KERNELS=compiled, `warmup()`): until the loop is ready the packets
run through `fn` in Python, with the same results. A function numba cannot
compile, a packet the columns cannot hold (strings, mixed types, ints beyond
int64), numba missing or disabled: `fn` runs per packet in Python, with one
warning saying why.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
import threading
import warnings
import weakref
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from langgraph_jit._kernels import _load_compiled, jit_disabled_by_env, kernel_mode

__all__ = ("BatchResult", "CompiledNode", "CompiledNodeWarning", "compiled_node")


class CompiledNodeWarning(RuntimeWarning):
    """A compiled node runs per packet in Python (the message says why)."""


def compiled_node(fn: Callable[[Any], Any]) -> CompiledNode:
    """Mark a numeric node function for batched, compiled execution.

    `fn(state) -> dict` reads packet fields as `state["key"]` (ints, floats, bools
    or NumPy arrays) and returns a dict literal of such values. Used as a graph node
    it behaves exactly as `fn`; a `Send` fan-out into it runs as one compiled loop
    over the step's packets when nothing watches the tasks one by one (no
    checkpointer, no per-task stream modes), and per packet otherwise. Differences
    from Python that numba cannot avoid: int64 arithmetic wraps on overflow.
    """
    if isinstance(fn, CompiledNode):
        return fn
    return CompiledNode(fn)


class BatchResult:
    """What a batch produced, in packet order.

    `columns[k]` holds output key `keys[k]` for the first `n_compiled` packets (a
    NumPy array filled by the compiled loop), `outputs` the return values of the
    packets run in Python after them. `error` is the exception packet
    `n_compiled + len(outputs)` raised (the rest did not run)."""

    __slots__ = ("columns", "error", "keys", "n_compiled", "outputs")

    def __init__(self) -> None:
        self.keys: tuple[str, ...] = ()
        self.columns: list[Any] = []
        self.n_compiled = 0
        self.outputs: list[Any] = []
        self.error: BaseException | None = None

    @property
    def n_done(self) -> int:
        return self.n_compiled + len(self.outputs)


class _Rewrite:
    """`fn` rewritten for numba: `state["k"]` reads become parameters, update dicts tuples."""

    __slots__ = ("fields", "func", "keys")

    def __init__(self, fields: tuple[str, ...], keys: tuple[str, ...], func: Any) -> None:
        self.fields = fields  # packet keys read, in parameter order
        self.keys = keys  # output keys, in tuple order
        self.func = func  # the plain Python function numba compiles


class _Loop:
    """A compiled batch loop for one input signature."""

    __slots__ = ("dtypes", "run", "shapes")

    def __init__(self, run: Any, dtypes: list[Any], shapes: list[tuple[int, ...]]) -> None:
        self.run = run
        self.dtypes = dtypes
        self.shapes = shapes


_loops_by_function: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary()
)
_loops_lock = threading.Lock()


def _shared_loops(fn: Any) -> dict[tuple[Any, ...], Any]:
    with _loops_lock:
        try:
            return _loops_by_function.setdefault(fn, {})
        except TypeError:  # not weak-referenceable (a builtin): its own
            return {}


class CompiledNode:
    """A node function with a batched, compiled path (see `compiled_node`)."""

    # What the planner looks for (pregel/_core/batch.py), without importing this module.
    is_compiled_node = True

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        if not callable(fn):
            raise TypeError(f"compiled_node expects a function, got {type(fn).__name__}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self._lock = threading.Lock()
        self._rewrite: _Rewrite | None = None
        self._rewrite_error: str | None = None
        self._rewritten = False
        # input signature -> the compiled loop, None while compiling, or the reason it
        # failed; shared by every compiled_node of the same function (a graph rebuilt
        # per request compiles once per process).
        self._loops: dict[tuple[Any, ...], _Loop | str | None] = _shared_loops(fn)
        self._warned: set[str] = set()

    def __call__(self, state: Any) -> Any:
        return self.fn(state)

    def __repr__(self) -> str:
        return f"compiled_node({getattr(self.fn, '__qualname__', self.fn)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Compiled loops and locks stay behind; another process compiles its own.
        return (CompiledNode, (self.fn,))

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # Used as a method: bind like the function it wraps would.
        return self if obj is None else functools.partial(self.fn, obj)

    # -- the batch ----------------------------------------------------------------

    def run_batch(self, args: Sequence[Any]) -> BatchResult:
        """Run the node on every packet argument, in order, stopping at the first error."""
        result = BatchResult()
        start = 0
        gathered = self._gather(args)
        if gathered is not None:
            loop, columns, n = gathered
            if loop is not None:
                start = self._run_loop(loop, columns, n, result)
        if start < len(args):
            self._run_python(args, start, result)
        return result

    def compiled_batch(self, args: Sequence[Any]) -> BatchResult | None:
        """The compiled loop's outputs for every packet, or None when it cannot give
        them all: not compiled (yet), or a packet it raised on (the packets' tasks
        then call the node themselves, in Python)."""
        gathered = self._gather(args)
        if gathered is None:
            return None
        loop, columns, n = gathered
        if loop is None:
            return None
        result = BatchResult()
        if self._run_loop(loop, columns, n, result) < n:
            return None
        return result

    def warmup(self, example: dict[str, Any]) -> bool:
        """Compile the loop for packets shaped like `example` now (waits); True when
        the compiled loop is ready."""
        gathered = self._gather([example], wait=True)
        return gathered is not None and gathered[0] is not None

    def _run_python(self, args: Sequence[Any], start: int, result: BatchResult) -> None:
        fn = self.fn
        outputs = result.outputs
        try:
            for i in range(start, len(args)):
                outputs.append(fn(args[i]))
        except Exception as exc:
            result.error = exc

    def _run_loop(self, loop: _Loop, columns: list[Any], n: int, result: BatchResult) -> int:
        """Fill result.columns from the compiled loop; how many packets it ran."""
        import numpy as np

        outs = [
            np.empty((n, *shape), dtype=dtype)
            for dtype, shape in zip(loop.dtypes, loop.shapes, strict=True)
        ]
        done = np.zeros(1, dtype=np.int64)
        try:
            loop.run(n, done, *columns, *outs)
            ran = n
        except Exception:
            # The packet that raised runs again in Python, which raises the error
            # Python would (numba's message or type may differ), or disagrees.
            ran = int(done[0])
        assert self._rewrite is not None
        result.keys = self._rewrite.keys
        result.columns = outs if ran == n else [out[:ran] for out in outs]
        result.n_compiled = ran
        return ran

    # -- columns and compiled loops -------------------------------------------------

    def _gather(
        self, args: Sequence[Any], wait: bool = False
    ) -> tuple[_Loop | None, list[Any], int] | None:
        """The loop for these packets (None while it compiles) and their columns; None
        when they run in Python (why: warned once)."""
        mode = kernel_mode()
        if mode == "python" or jit_disabled_by_env():
            why = (
                "numba is disabled (LANGGRAPH_JIT_DISABLE_JIT)"
                if jit_disabled_by_env()
                else "LANGGRAPH_JIT_KERNELS=python"
            )
            self._warn(why)
            return None
        rewrite = self._get_rewrite()
        if rewrite is None:
            self._warn(f"it cannot be compiled: {self._rewrite_error}")
            return None
        if not args:
            return None
        columns: list[Any] = []
        signature: list[Any] = []
        for field in rewrite.fields:
            column = _column(args, field)
            if isinstance(column, str):
                self._warn(column)
                return None
            columns.append(column)
            signature.append((field, column.dtype.str, column.shape[1:]))
        key = tuple(signature)
        loop = self._loops.get(key, _UNSEEN)
        if loop is _UNSEEN or (loop is None and (wait or mode == "compiled")):
            loop = self._start_compile(key, rewrite, columns, args[0], wait or mode == "compiled")
        if isinstance(loop, str):
            self._warn(f"it cannot be compiled: {loop}")
            return None
        return loop, columns, len(args)

    def _get_rewrite(self) -> _Rewrite | None:
        if not self._rewritten:
            with self._lock:
                if not self._rewritten:
                    try:
                        self._rewrite = _rewrite(self.fn)
                    except _NotCompilable as exc:
                        self._rewrite_error = str(exc)
                    self._rewritten = True
        return self._rewrite

    def _start_compile(
        self,
        key: tuple[Any, ...],
        rewrite: _Rewrite,
        columns: list[Any],
        example: Any,
        wait: bool,
    ) -> _Loop | str | None:
        rows = [c[:1].copy() for c in columns]
        with _loops_lock:
            state = self._loops.get(key, _UNSEEN)
            if state is _UNSEEN:
                self._loops[key] = None
                if not wait:
                    # Compiled off the caller's thread: this batch runs in Python.
                    threading.Thread(
                        target=self._compile,
                        args=(key, rewrite, rows, example),
                        name="langgraph_jit-compiled-node",
                        daemon=True,
                    ).start()
                    return None
            elif state is not None or not wait:
                return state
        self._compile(key, rewrite, rows, example)  # or wait for the one in progress
        return self._loops.get(key)

    def _compile(
        self, key: tuple[Any, ...], rewrite: _Rewrite, rows: list[Any], example: Any
    ) -> None:
        with self._compile_lock:
            if self._loops.get(key) is not None:
                return
            try:
                loop = _compile_loop(self.fn, rewrite, rows, example)
            except _TryAgain:
                self._loops.pop(key, None)  # the next batch starts a compile again
                return
            except _NotCompilable as exc:
                self._loops[key] = str(exc)
            except Exception as exc:  # numba's typing and lowering errors
                self._loops[key] = _first_line(exc)
            else:
                self._loops[key] = loop

    _compile_lock = threading.Lock()  # one compile at a time per process

    def _warn(self, why: str) -> None:
        if why in self._warned:
            return
        self._warned.add(why)
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        warnings.warn(
            f"compiled_node({name}) runs per packet in Python: {why}",
            CompiledNodeWarning,
            stacklevel=4,
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    # numba's errors open with a headline and go on with the offending source.
    return f"{type(exc).__name__}: {text[0] if text else ''}"


# -- packets to columns ----------------------------------------------------------

_UNSEEN: Any = object()
_SCALARS = {int: "int64", float: "float64", bool: "bool"}


def _column(args: Sequence[Any], field: str) -> Any:
    """Field `field` of every packet as one NumPy array (rows of an array field
    stacked), or a str saying why it cannot be one."""
    import numpy as np

    try:
        values = list(map(itemgetter(field), args))
    except (KeyError, TypeError, IndexError):
        return f"not every packet is a dict with key {field!r}"
    kinds = set(map(type, values))
    if len(kinds) != 1:
        names = sorted(k.__name__ for k in kinds)
        return f"packet field {field!r} holds values of several types ({', '.join(names)})"
    kind = kinds.pop()
    dtype = _SCALARS.get(kind)
    if dtype is not None:
        try:
            return np.array(values, dtype=dtype)
        except OverflowError:
            return f"packet field {field!r} holds an int beyond int64"
    if kind is np.ndarray:
        layouts = {(v.shape, v.dtype) for v in values}
        if len(layouts) != 1:
            return f"packet field {field!r} holds arrays of different shapes or dtypes"
        ((shape, dt),) = layouts
        if dt.kind not in "biuf" or not shape:
            return f"packet field {field!r} holds {dt} arrays of shape {shape}"
        return np.stack(values)
    return f"packet field {field!r} holds {kind.__name__} values"


# -- the rewrite -----------------------------------------------------------------


class _NotCompilable(Exception):
    pass


class _TryAgain(Exception):
    """The example packet raised in Python: its types cannot be checked with it."""


def _rewrite(fn: Any) -> _Rewrite:
    """`fn` with `state["k"]` reads as parameters and update dicts returned as tuples."""
    code = getattr(fn, "__code__", None)
    if code is None:
        raise _NotCompilable("it is not a plain Python function")
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as exc:
        raise _NotCompilable(f"its source is not available ({exc})") from None
    tree = ast.parse(source)
    fdef = tree.body[0] if tree.body else None
    if not isinstance(fdef, ast.FunctionDef) or fdef.name != fn.__name__:
        raise _NotCompilable("it is not a `def` function (a lambda or async def)")
    params = fdef.args
    if (
        len(params.args) != 1
        or params.posonlyargs
        or params.vararg
        or params.kwonlyargs
        or params.kwarg
    ):
        raise _NotCompilable("it must take exactly one parameter, the packet")
    state = params.args[0].arg
    reads = _StateReads(state)
    fdef = reads.visit(fdef)
    for node in ast.walk(fdef):
        if isinstance(node, ast.Name) and node.id == state:
            raise _NotCompilable(
                f"it uses {state!r} other than reading {state}['key'] with a literal key"
            )
    returns = _Returns()
    fdef = returns.visit(fdef)
    if returns.keys is None:
        raise _NotCompilable("it returns no dict literal")
    fields = tuple(reads.fields)
    fdef.decorator_list = []
    fdef.returns = None
    fdef.args = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(arg=reads.fields[f]) for f in fields],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )
    module = ast.Module(body=[fdef], type_ignores=[])
    ast.fix_missing_locations(module)
    # Tracebacks and numba's messages point at the function's own lines.
    ast.increment_lineno(module, code.co_firstlineno - 1)
    namespace = dict(fn.__globals__)
    if fn.__closure__:
        for name, cell in zip(code.co_freevars, fn.__closure__, strict=True):
            try:
                namespace[name] = cell.cell_contents
            except ValueError:
                raise _NotCompilable(f"its closure variable {name!r} is not set") from None
    filename = getattr(code, "co_filename", "<compiled_node>")
    exec(compile(module, filename, "exec"), namespace)
    return _Rewrite(fields, returns.keys, namespace[fdef.name])


class _StateReads(ast.NodeTransformer):
    def __init__(self, state: str) -> None:
        self.state = state
        self.fields: dict[str, str] = {}  # packet key -> parameter name

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        target = node.value
        key = node.slice
        if (
            isinstance(target, ast.Name)
            and target.id == self.state
            and isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and isinstance(node.ctx, ast.Load)
        ):
            param = self.fields.get(key.value)
            if param is None:
                param = self.fields[key.value] = f"_lgjit_field{len(self.fields)}"
            return ast.copy_location(ast.Name(id=param, ctx=ast.Load()), node)
        return self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        return self.generic_visit(node)


class _Returns(ast.NodeTransformer):
    def __init__(self) -> None:
        self.keys: tuple[str, ...] | None = None
        self._depth = 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        self._depth += 1
        if self._depth > 1:
            raise _NotCompilable("it defines a nested function")
        self.generic_visit(node)
        self._depth -= 1
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        raise _NotCompilable("it defines a lambda")

    def visit_Return(self, node: ast.Return) -> Any:
        value = node.value
        if not isinstance(value, ast.Dict) or any(
            not (isinstance(k, ast.Constant) and isinstance(k.value, str)) for k in value.keys
        ):
            raise _NotCompilable("every return must be a dict literal with literal str keys")
        keys = tuple(k.value for k in value.keys)  # type: ignore[union-attr]
        if len(set(keys)) != len(keys):
            raise _NotCompilable("a returned dict repeats a key")
        if self.keys is None:
            self.keys = keys
        elif set(keys) != set(self.keys):
            raise _NotCompilable("its returns do not all have the same keys")
        by_key = dict(zip(keys, value.values, strict=True))
        items = [self.visit(by_key[k]) for k in self.keys]
        return ast.copy_location(
            ast.Return(value=ast.Tuple(elts=items, ctx=ast.Load())),
            node,
        )


# -- compiling -------------------------------------------------------------------


def _compile_loop(fn: Any, rewrite: _Rewrite, rows: list[Any], example: Any) -> _Loop:
    """Compile `rewrite` and a loop calling it for the column types of `rows` (one
    packet's columns); check its output types against `fn(example)` in Python."""
    import numpy as np

    compiled = _load_compiled()
    if compiled is None:
        raise _NotCompilable("numba is not available")
    jit = compiled.jit_function
    kernel = jit(rewrite.func)
    row = [c[0] for c in rows]
    compiled.compile_for(kernel, row)
    (signature,) = kernel.nopython_signatures
    try:
        first = kernel(*row)
    except Exception as exc:  # this packet raises: check the types with another one
        raise _TryAgain() from exc
    out_types = signature.return_type
    try:
        python_out = fn(example)
    except Exception as exc:  # this packet fails in Python: check with another batch's
        raise _TryAgain() from exc
    if not isinstance(python_out, dict) or tuple(python_out) != rewrite.keys:
        raise _NotCompilable("in Python it returned something other than the dict it spells")
    if not isinstance(first, tuple) or len(first) != len(rewrite.keys):
        raise _NotCompilable("numba typed its result as something other than a tuple")
    dtypes: list[Any] = []
    shapes: list[tuple[int, ...]] = []
    for k, key in enumerate(rewrite.keys):
        typ = out_types[k]
        typ = getattr(typ, "literal_type", typ)  # a constant (`"count": 1`) types as Literal
        value = python_out[key]
        name = str(typ)
        if type(value) is bool and name == "bool":
            dtypes.append(np.bool_)
            shapes.append(())
        elif type(value) is int and name == "int64":
            dtypes.append(np.int64)
            shapes.append(())
        elif type(value) is float and name == "float64":
            dtypes.append(np.float64)
            shapes.append(())
        elif (
            type(value) is np.ndarray
            and isinstance(first[k], np.ndarray)
            and first[k].dtype == value.dtype
            and first[k].ndim == value.ndim
            and value.ndim >= 1
        ):
            dtypes.append(value.dtype)
            shapes.append(value.shape)
        else:
            raise _NotCompilable(
                f"key {key!r} is {type(value).__name__} in Python but numba types it {name}"
            )
    params = [f"c{i}" for i in range(len(rows))]
    outs = [f"o{k}" for k in range(len(rewrite.keys))]
    reads = ", ".join(f"{p}[i]" for p in params)
    body = "".join(f"        {o}[i] = r[{k}]\n" for k, o in enumerate(outs))
    source = (
        f"def batch_loop(n, done, {', '.join(params + outs)}):\n"
        "    for i in range(n):\n"
        "        done[0] = i\n"
        f"        r = kernel({reads})\n"
        f"{body}"
        "    done[0] = n\n"
    )
    namespace: dict[str, Any] = {"kernel": kernel}
    exec(compile(source, "<compiled_node loop>", "exec"), namespace)
    loop = jit(namespace["batch_loop"])
    probe = [np.empty((1, *shape), dtype=dt) for dt, shape in zip(dtypes, shapes, strict=True)]
    loop(1, np.zeros(1, dtype=np.int64), *rows, *probe)  # compiles it here
    return _Loop(loop, dtypes, shapes)
