"""Numeric channels: reducers over numbers and arrays whose writes fold in one kernel call.

`NumericAggregate` is the channel behind `Annotated[int, operator.add]`,
`Annotated[float, operator.add]` and `Annotated[np.ndarray, operator.add]` state keys:
a `BinaryOperatorAggregate` with the same values, types and errors, whose step with
many writes (a large `Send` fan-out) is folded by one call of a compiled kernel
(`_kernels/reduce_source.py`) instead of one Python call per write. Arrays are
added into one new buffer per step (LangGraph makes one per write).

`Sum`, `Count`, `Min`, `Max`, `Mean` and `Histogram` are channel types LangGraph
does not have, for what users otherwise write by hand; use them as
`Annotated[float, Sum()]` in a state schema or directly in `Pregel(channels=...)`.
"""

from __future__ import annotations

import bisect
import numbers
import operator as _operator
from collections.abc import Callable, Sequence
from typing import Any

from langgraph_jit._constants import MISSING
from langgraph_jit._kernels import loaded_reduce_kernels, reduce_kernels, reduce_source
from langgraph_jit._overwrite import Overwrite
from langgraph_jit.channels.base import BaseChannel
from langgraph_jit.channels.binop import (
    BinaryOperatorAggregate,
    _base_type,
    _get_overwrite,
    _initial_value,
)
from langgraph_jit.errors import EmptyChannelError, InvalidUpdateError

__all__ = (
    "Column",
    "Count",
    "Histogram",
    "Max",
    "Mean",
    "Min",
    "NumericAggregate",
    "Sum",
    "numeric_aggregate",
)

# From this many writes in one step the kernel (list -> array, one compiled call)
# beats the interpreted fold, measured by `python -m
# asv_bench.investigate.reduce_threshold`: a float add is one specialised bytecode
# (~16 ns/write interpreted, ~11 ns/write just to build the array), so floats pay
# only from ~500 writes (1.5x at 10k); integers (the int64 overflow check) and
# histogram bins (a bisect per value) pay from ~16 (4.7x and 6.9x at 10k). For such
# Python numbers the kernels are used only once numba is loaded anyway
# (`loaded_reduce_kernels`: loading it costs more than they save); a compiled_node's
# typed columns (`Column`) ask for them.
FLOAT_KERNEL_MIN_WRITES = 512
KERNEL_MIN_WRITES = 32

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def fold_numbers(acc: Any, op: int, values: Sequence[Any]) -> Any:
    """`acc` folded with `values` by op (reduce_source.ADD/MIN/MAX) exactly as Python
    folds them, or MISSING when the values are not all of one kind this fold handles
    (plain ints, or plain floats): the caller then folds them itself."""
    kinds = set(map(type, values))
    if len(kinds) != 1:
        return MISSING
    kind = next(iter(kinds))
    acc_kind = type(acc)
    if kind is float:
        # int + float is float(int) + float in Python; min/max keep the held object,
        # so they need a float to start from.
        if acc_kind is not float and not (acc_kind is int and op == reduce_source.ADD):
            return MISSING
        kernels = loaded_reduce_kernels() if len(values) >= FLOAT_KERNEL_MIN_WRITES else None
        if kernels is None:
            return reduce_source.fold_float(float(acc), op, values)
        import numpy as np

        return kernels.fold_float(float(acc), op, np.array(values, dtype=np.float64))
    if kind is not int or acc_kind is not int:
        return MISSING
    kernels = loaded_reduce_kernels() if len(values) >= KERNEL_MIN_WRITES else None
    if kernels is None or not _INT64_MIN <= acc <= _INT64_MAX:
        return reduce_source.fold_int(acc, op, values)[0]
    import numpy as np

    try:
        array = np.array(values, dtype=np.int64)
    except OverflowError:  # a write beyond int64: Python's integers
        return reduce_source.fold_int(acc, op, values)[0]
    result, folded = kernels.fold_int(acc, op, array)
    if folded < len(values):  # the sum leaves int64 here: go on unbounded
        result = reduce_source.fold_int(int(result), op, values[folded:])[0]
    return int(result)


def _add_arrays(acc: Any, values: Sequence[Any], key: str) -> Any:
    """acc + values[0] + values[1] + ... for NumPy arrays: one new array for the step
    (never the caller's or an earlier step's, which may still be held elsewhere),
    then added into in place while shapes and dtypes agree."""
    np = _numpy()
    out = None
    for value in values:
        try:
            if (
                out is not None
                and type(value) is np.ndarray
                and value.shape == out.shape
                and value.dtype == out.dtype
            ):
                np.add(out, value, out=out)
            else:
                out = (acc if out is None else out) + value
        except ValueError as exc:
            raise _ShapeError(_shape_message(key, acc if out is None else out, value)) from exc
    return out


def _shape_message(key: str, acc: Any, value: Any) -> str:
    where = f"Channel '{key}'" if key else "A numeric channel"
    return (
        f"{where} holds an array of shape {getattr(acc, 'shape', '()')} and cannot add a "
        f"write of shape {getattr(value, 'shape', '()')}: the shapes do not broadcast."
    )


class _ShapeError(InvalidUpdateError, ValueError):
    """Arrays that cannot be added. A ValueError too, as NumPy's own error is, so code
    written against LangGraph's reducer keeps catching it."""


def _numpy() -> Any:
    import numpy

    return numpy


_OPS: dict[Callable[..., Any], int] = {
    _operator.add: reduce_source.ADD,
    min: reduce_source.MIN,
    max: reduce_source.MAX,
}


class Column:
    """Many writes to one numeric channel as one write: what a batch of `compiled_node`
    packets wrote to it, in their order (a NumPy array the compiled loop filled, one
    row per packet, or a list of the values packets run in Python returned). Only
    written to a NumericAggregate told so by `take_columns()`."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def items(self) -> list[Any]:
        """The writes one by one, as the packets' own tasks would have made them."""
        values = self.values
        if isinstance(values, list):
            return values
        if values.ndim == 1:
            return values.tolist()
        return [row.copy() for row in values]


class NumericAggregate(BinaryOperatorAggregate):
    """`BinaryOperatorAggregate` for a numeric reducer (operator.add, min or max over
    ints, floats or NumPy arrays): the same values; many writes in one step fold in
    one kernel call."""

    __slots__ = ("_op", "_arrays", "_columns")

    def __init__(self, typ: Any, operator: Callable[[Any, Any], Any]) -> None:
        super().__init__(typ, operator)
        self._op = _OPS[operator]
        base = _base_type(typ)
        self._arrays = getattr(base, "__module__", "") == "numpy" and base.__name__ == "ndarray"
        self._columns = False

    def _blank(self) -> NumericAggregate:
        new = object.__new__(self.__class__)
        new.typ = self.typ
        new.operator = self.operator
        new._op = self._op
        new._arrays = self._arrays
        new._columns = False
        new.key = self.key
        return new

    def take_columns(self) -> None:
        """This step's writes may hold Column values (the next update unpacks them)."""
        self._columns = True

    def _start(self) -> Any:
        """The value before any write."""
        return _initial_value(self.typ)

    def from_checkpoint(self, checkpoint: Any):
        if type(checkpoint).__name__ == "_DeltaSnapshot":
            checkpoint = checkpoint.value
        new = self._blank()
        new.value = self._start() if checkpoint is MISSING else checkpoint
        return new

    def update(self, values: Sequence[Any]) -> bool:
        if self._columns:
            self._columns = False
            return self._update_columns(values)
        value = self.value
        if self._arrays:
            if not values or value is MISSING or self._op != reduce_source.ADD:
                return super().update(values)
            np = _numpy()
            if all(type(v) is np.ndarray for v in values):
                self.value = _add_arrays(value, values, self.key)
                return True
            return super().update(values)
        if len(values) < KERNEL_MIN_WRITES or value is MISSING:
            # A few writes (most steps): the generic fold costs no more than
            # telling their kinds apart would.
            return super().update(values)
        folded = fold_numbers(value, self._op, values)
        if folded is MISSING:  # Overwrite, bools, numpy scalars, mixed kinds...
            return super().update(values)
        self.value = folded
        return True

    def _update_columns(self, values: Sequence[Any]) -> bool:
        """update() for writes holding Columns: each column folded at once where its
        values allow (a float64 or int64 array, equal-shape array rows), else write by
        write; the same result as the writes one by one."""
        if not values:
            return False
        acc = self.value
        if (
            acc is MISSING
            or self._arrays
            or any(
                type(v) is not Column and (isinstance(v, (Overwrite, dict)) or type(v) is bool)
                for v in values
            )
        ):
            # First-write and Overwrite rules, array shapes: the writes one by one
            # (arrays are still added into one buffer per step, by update()).
            return self.update(_unpacked(values))
        op = self._op
        operator = self.operator
        for v in values:
            if type(v) is not Column:
                acc = operator(acc, v)
                continue
            column = v.values
            folded = MISSING
            if isinstance(column, list) or column.ndim == 1:
                folded = _fold_column(acc, op, column)
            if folded is MISSING:
                for item in v.items():
                    acc = operator(acc, item)
            else:
                acc = folded
        self.value = acc
        return True


def _unpacked(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if type(v) is Column:
            column = v.values
            # Array rows as views: a channel adds them into a buffer of its own.
            out.extend(column if isinstance(column, list) or column.ndim > 1 else column.tolist())
        else:
            out.append(v)
    return out


def _fold_column(acc: Any, op: int, column: Any) -> Any:
    """fold_numbers for a column: a float64 or int64 array goes to the kernel as it is
    (no list to gather); MISSING where Python's fold must run write by write."""
    if isinstance(column, list):
        return fold_numbers(acc, op, column) if column else acc
    n = len(column)
    if not n:
        return acc
    kind = column.dtype.kind
    if kind == "f" and column.dtype.itemsize == 8:
        if type(acc) is not float and not (type(acc) is int and op == reduce_source.ADD):
            return MISSING
        kernels = reduce_kernels() if n >= KERNEL_MIN_WRITES else None
        if kernels is None:
            return reduce_source.fold_float(float(acc), op, column.tolist())
        return float(kernels.fold_float(float(acc), op, column))
    if kind == "i" and column.dtype.itemsize == 8 and type(acc) is int:
        kernels = reduce_kernels() if n >= KERNEL_MIN_WRITES else None
        if kernels is None or not _INT64_MIN <= acc <= _INT64_MAX:
            return reduce_source.fold_int(acc, op, column.tolist())[0]
        result, folded = kernels.fold_int(acc, op, column)
        if folded < n:  # the sum leaves int64 here: go on unbounded
            result = reduce_source.fold_int(int(result), op, column[folded:].tolist())[0]
        return int(result)
    return MISSING


def numeric_aggregate(typ: Any, reducer: Callable[..., Any]) -> NumericAggregate | None:
    """The numeric channel for a state key annotated `Annotated[typ, reducer]`, when
    the pair is one it handles (int, float or np.ndarray with operator.add), else None."""
    if reducer is not _operator.add:
        return None
    base = _base_type(typ)
    if base is int or base is float:
        return NumericAggregate(typ, reducer)
    if getattr(base, "__module__", "") == "numpy" and getattr(base, "__name__", "") == "ndarray":
        return NumericAggregate(typ, reducer)
    return None


class Sum(NumericAggregate):
    """The sum of every write, starting from `typ()` (0 or 0.0)."""

    def __init__(self, typ: Any = float) -> None:
        super().__init__(typ, _operator.add)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.typ == self.typ


class _Extreme(NumericAggregate):
    """Empty until the first write; then the smallest (Min) or largest (Max) so far."""

    def __init__(self, typ: Any, reducer: Callable[[Any, Any], Any]) -> None:
        super().__init__(typ, reducer)
        self.value = MISSING

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.typ == self.typ

    def _start(self) -> Any:
        return MISSING


class Min(_Extreme):
    """The smallest write so far (empty until the first write)."""

    def __init__(self, typ: Any = float) -> None:
        super().__init__(typ, min)


class Max(_Extreme):
    """The largest write so far (empty until the first write)."""

    def __init__(self, typ: Any = float) -> None:
        super().__init__(typ, max)


class Count(BaseChannel[int, Any, int]):
    """How many writes it has received (whatever their value), starting from 0. An
    `Overwrite(n)` write sets the count to n; the step's other writes add to it."""

    __slots__ = ("value",)

    def __init__(self, typ: Any = int) -> None:
        super().__init__(int)
        self.value = 0

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    @property
    def ValueType(self) -> Any:
        return int

    @property
    def UpdateType(self) -> Any:
        return Any

    def copy(self) -> Count:
        new = self.__class__()
        new.key = self.key
        new.value = self.value
        return new

    def checkpoint(self) -> int:
        return self.value

    def from_checkpoint(self, checkpoint: Any) -> Count:
        new = self.__class__()
        new.key = self.key
        new.value = 0 if checkpoint is MISSING else checkpoint
        return new

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            return False
        count = self.value
        added = len(values)
        for value in values:
            if isinstance(value, (Overwrite, dict)):
                is_overwrite, replacement = _get_overwrite(value)
                if is_overwrite:
                    count = replacement
                    added -= 1
        self.value = count + added
        return True

    def get(self) -> int:
        return self.value

    def is_available(self) -> bool:
        return True


class Mean(BaseChannel[float, Any, list]):
    """The mean of every number written so far (empty until the first write)."""

    __slots__ = ("total", "count")

    def __init__(self, typ: Any = float) -> None:
        super().__init__(float)
        self.total = 0.0
        self.count = 0

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    @property
    def ValueType(self) -> Any:
        return float

    @property
    def UpdateType(self) -> Any:
        return float

    def copy(self) -> Mean:
        new = self.__class__()
        new.key = self.key
        new.total = self.total
        new.count = self.count
        return new

    def checkpoint(self) -> Any:
        return MISSING if self.count == 0 else [self.total, self.count]

    def from_checkpoint(self, checkpoint: Any) -> Mean:
        new = self.__class__()
        new.key = self.key
        if checkpoint is not MISSING:
            new.total, new.count = checkpoint
        return new

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            return False
        total = fold_numbers(float(self.total), reduce_source.ADD, values)
        if total is MISSING:
            total = float(self.total)
            for value in values:
                if isinstance(value, bool) or not isinstance(value, numbers.Real):
                    raise InvalidUpdateError(
                        f"Channel '{self.key}' (Mean) accepts numbers, got {type(value).__name__}"
                    )
                total = total + value
        self.total = total
        self.count += len(values)
        return True

    def get(self) -> float:
        if self.count == 0:
            raise EmptyChannelError()
        return self.total / self.count

    def is_available(self) -> bool:
        return self.count > 0


class Histogram(BaseChannel[Any, Any, Any]):
    """Counts of the numbers written, in fixed bins: `Histogram(edges)` with ascending
    edges has len(edges) - 1 bins, bin k holding edges[k] <= v < edges[k + 1] (the
    last bin also v == edges[-1]), as `numpy.histogram`. A write is a number or a
    sequence/1-D array of numbers; values outside the edges, and NaN, are not counted.
    The value is an int64 NumPy array of the counts (a new array each step)."""

    __slots__ = ("edges", "counts")

    def __init__(self, edges: Sequence[float]) -> None:
        super().__init__(Any)
        np = _numpy()
        edges_arr = np.array(edges, dtype=np.float64)
        if edges_arr.ndim != 1 or len(edges_arr) < 2:
            raise ValueError("Histogram needs at least two edges in a 1-D sequence")
        if not bool(np.all(np.diff(edges_arr) > 0)):
            raise ValueError("Histogram edges must be strictly increasing")
        self.edges = edges_arr
        self.counts = np.zeros(len(edges_arr) - 1, dtype=np.int64)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram) or type(other) is not type(self):
            return False
        return other.edges.shape == self.edges.shape and bool((other.edges == self.edges).all())

    @property
    def ValueType(self) -> Any:
        return Any

    @property
    def UpdateType(self) -> Any:
        return Any

    def _blank(self) -> Histogram:
        new = object.__new__(self.__class__)
        new.typ = self.typ
        new.key = self.key
        new.edges = self.edges
        return new

    def copy(self) -> Histogram:
        new = self._blank()
        new.counts = self.counts
        return new

    def checkpoint(self) -> Any:
        return self.counts

    def from_checkpoint(self, checkpoint: Any) -> Histogram:
        np = _numpy()
        new = self._blank()
        if checkpoint is MISSING:
            new.counts = np.zeros(len(self.edges) - 1, dtype=np.int64)
        else:
            new.counts = np.array(checkpoint, dtype=np.int64)
        return new

    def update(self, values: Sequence[Any]) -> bool:
        if not values:
            return False
        np = _numpy()
        if set(map(type, values)) <= _PLAIN_NUMBERS:
            # Only numbers (per-packet tasks): no look at each value in Python.
            return self._count(np, list(values), [])
        flat: list[float] = []
        # Array writes stay arrays (a compiled_node batch writes its whole column as
        # one): counts do not depend on the order values are counted in.
        arrays: list[Any] = []
        for value in values:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                flat.append(value)
                continue
            try:
                arr = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise InvalidUpdateError(
                    f"Channel '{self.key}' (Histogram) accepts numbers or 1-D sequences "
                    f"of numbers, got {type(value).__name__}"
                ) from exc
            if arr.ndim > 1:
                raise InvalidUpdateError(
                    f"Channel '{self.key}' (Histogram) accepts 1-D sequences, got shape {arr.shape}"
                )
            arrays.append(arr.reshape(-1))
        return self._count(np, flat, arrays)

    def _count(self, np: Any, flat: list[Any], arrays: list[Any]) -> bool:
        """Add the bins of the numbers in `flat` and `arrays` to a copy of the counts."""
        counts = self.counts.copy()  # the previous step's array may be held elsewhere
        n = len(flat) + sum(len(a) for a in arrays)
        kernels = loaded_reduce_kernels() if n >= KERNEL_MIN_WRITES else None
        if kernels is None:
            for arr in arrays:
                flat.extend(arr.tolist())
            counts += np.array(_bin_counts_python(self.edges.tolist(), flat), dtype=np.int64)
        else:
            if flat:
                try:
                    arrays.append(np.array(flat, dtype=np.float64))
                except OverflowError:  # an int beyond float: Python compares it exactly
                    counts += np.array(
                        _bin_counts_python(self.edges.tolist(), flat), dtype=np.int64
                    )
            for arr in arrays:
                kernels.bin_counts(self.edges, counts, np.ascontiguousarray(arr))
        self.counts = counts
        return True

    def get(self) -> Any:
        return self.counts

    def is_available(self) -> bool:
        return True


_PLAIN_NUMBERS = frozenset({int, float})


def _bin_counts_python(edges: list[float], values: list[float]) -> list[int]:
    """reduce_source.bin_counts for CPython: the same bins, found with bisect."""
    lo = edges[0]
    hi = edges[-1]
    last = len(edges) - 2
    tally = [0] * (last + 1)
    for v in values:
        if not (lo <= v <= hi):  # also NaN
            continue
        tally[last if v == hi else bisect.bisect_right(edges, v) - 1] += 1
    return tally
