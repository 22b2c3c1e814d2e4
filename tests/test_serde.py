"""Serializer tests: round-trips, byte-level wire compatibility with LangGraph's
JsonPlusSerializer in both directions, and decoding safety."""

from __future__ import annotations

import dataclasses
import enum
import pathlib
import re
import subprocess
import sys
import uuid
from collections import OrderedDict, defaultdict, deque
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Network
from typing import NamedTuple
from zoneinfo import ZoneInfo

import msgpack
import numpy as np
import pydantic
import pytest
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer as LGSerializer

from langgraph_jit.checkpoint.serde.base import SerializerProtocol, maybe_add_typed_methods
from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer


class Color(enum.Enum):
    RED = 1
    BLUE = "blue"


class Mood(str, enum.Enum):
    HAPPY = "happy"


@dataclasses.dataclass
class Point:
    x: int
    y: list


class Pair(NamedTuple):
    left: int
    right: str


class Model(pydantic.BaseModel):
    name: str
    tags: list[str] = []
    when: datetime | None = None


class MyStr(str):
    pass


USER_TYPES = [Color, Mood, Point, Pair, Model]


def _ours() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=USER_TYPES)


def _theirs() -> LGSerializer:
    return LGSerializer(allowed_msgpack_modules=USER_TYPES)


def _messages():
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    return [
        HumanMessage(content="hi", id="1"),
        AIMessage(
            content="",
            id="2",
            tool_calls=[{"name": "f", "args": {"a": 1}, "id": "c1", "type": "tool_call"}],
        ),
        ToolMessage(content="ok", tool_call_id="c1", id="3"),
    ]


def _lg_types():
    from langgraph.types import Command, Interrupt, Send

    return [
        Send("node", {"a": 1}),
        Interrupt(value="ask", id="abc"),
        Command(goto="x", update={"k": 1}),
        Command(resume="yes"),
    ]


# (value, expected value after a round-trip)
SAMPLES = [
    (1, 1),
    (-5, -5),
    (2**63, 2**63),
    (1.5, 1.5),
    (True, True),
    ("hé", "hé"),
    ("", ""),
    ([1, [2, 3]], [1, [2, 3]]),
    ({"a": {"b": [1]}}, {"a": {"b": [1]}}),
    ((1, (2, 3)), [1, [2, 3]]),
    ({1: "a", None: 2, 1.5: 3}, {1: "a", None: 2, 1.5: 3}),
    ({(1, 2): "t"}, {(1, 2): "t"}),
    ({1, 2}, {1, 2}),
    (frozenset({"a"}), frozenset({"a"})),
    (deque([1, 2]), deque([1, 2])),
    (datetime(2024, 1, 2, 3, 4, 5, 6), datetime(2024, 1, 2, 3, 4, 5, 6)),
    (
        datetime(2024, 1, 2, tzinfo=timezone(timedelta(hours=2))),
        datetime(2024, 1, 2, tzinfo=timezone(timedelta(hours=2))),
    ),
    (date(2024, 5, 6), date(2024, 5, 6)),
    (time(1, 2, 3, 4), time(1, 2, 3, 4)),
    (time(1, 2, tzinfo=timezone.utc), time(1, 2, tzinfo=timezone.utc)),
    (timedelta(days=1, seconds=2, microseconds=3), timedelta(days=1, seconds=2, microseconds=3)),
    (timezone(timedelta(hours=-3), "X"), timezone(timedelta(hours=-3), "X")),
    (timezone.utc, timezone.utc),
    (ZoneInfo("Europe/Paris"), ZoneInfo("Europe/Paris")),
    (uuid.UUID(int=12345), uuid.UUID(int=12345)),
    (Decimal("1.25"), Decimal("1.25")),
    (pathlib.Path("/a/b"), pathlib.Path("/a/b")),
    (re.compile(r"a+b", re.I), re.compile(r"a+b", re.I)),
    (IPv4Address("1.2.3.4"), IPv4Address("1.2.3.4")),
    (IPv6Network("::/64"), IPv6Network("::/64")),
    (Color.RED, Color.RED),
    (Color.BLUE, Color.BLUE),
    (Mood.HAPPY, Mood.HAPPY),
    (Point(1, [Pair(2, "x")]), Point(1, [Pair(2, "x")])),
    (Pair(1, "a"), Pair(1, "a")),
    (Model(name="n", tags=["t"]), Model(name="n", tags=["t"])),
    (Model(name="n", when=datetime(2020, 1, 1)), Model(name="n", when=datetime(2020, 1, 1))),
    (MyStr("s"), "s"),
    (OrderedDict(a=1), {"a": 1}),
    (defaultdict(int, a=1), {"a": 1}),
    (ValueError("boom"), "ValueError('boom')"),
    ({"nested": [{1, 2}, (Color.RED,)]}, {"nested": [{1, 2}, [Color.RED]]}),
    ("a\ud800b", "a?b"),
]

IDS = [type(v).__name__ + str(i) for i, (v, _) in enumerate(SAMPLES)]


def _eq(a, b) -> bool:
    if isinstance(a, re.Pattern):
        return type(b) is type(a) and (a.pattern, a.flags) == (b.pattern, b.flags)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(("value", "expected"), SAMPLES, ids=IDS)
def test_round_trip(value, expected):
    serde = _ours()
    assert _eq(serde.loads_typed(serde.dumps_typed(value)), expected)


@pytest.mark.parametrize(("value", "expected"), SAMPLES, ids=IDS)
def test_same_bytes_as_langgraph(value, expected):
    assert _ours().dumps_typed(value) == _theirs().dumps_typed(value)


@pytest.mark.parametrize(("value", "expected"), SAMPLES, ids=IDS)
def test_cross_compat(value, expected):
    assert _eq(_theirs().loads_typed(_ours().dumps_typed(value)), expected)
    assert _eq(_ours().loads_typed(_theirs().dumps_typed(value)), expected)


@pytest.mark.parametrize("tag", ["null", "bytes", "bytearray"])
def test_special_tags(tag):
    value = {"null": None, "bytes": b"\x00\x01", "bytearray": bytearray(b"ab")}[tag]
    dumped = _ours().dumps_typed(value)
    assert dumped == _theirs().dumps_typed(value)
    assert dumped[0] == tag
    assert _eq(_ours().loads_typed(dumped), value)


def test_langchain_messages_cross_compat():
    msgs = _messages()
    ours, theirs = JsonPlusSerializer(), LGSerializer()
    assert ours.dumps_typed(msgs) == theirs.dumps_typed(msgs)
    assert ours.loads_typed(theirs.dumps_typed(msgs)) == msgs
    assert theirs.loads_typed(ours.dumps_typed(msgs)) == msgs


def test_langgraph_types_cross_compat():
    values = _lg_types()
    ours, theirs = JsonPlusSerializer(), LGSerializer()
    assert ours.dumps_typed(values) == theirs.dumps_typed(values)
    # Command's tuple defaults come back as lists in LangGraph too, so compare
    # against LangGraph's own round-trip.
    reference = theirs.loads_typed(theirs.dumps_typed(values))
    assert theirs.loads_typed(ours.dumps_typed(values)) == reference
    back = ours.loads_typed(theirs.dumps_typed(values))
    assert [repr(v) for v in back] == [repr(v) for v in reference]


def test_own_types_decode_to_own_classes():
    from langgraph_jit import types as own

    ours = JsonPlusSerializer()
    send = own.Send("n", [1, 2])
    data = ours.dumps_typed(send)
    assert data == LGSerializer().dumps_typed(__import__("langgraph.types").types.Send("n", [1, 2]))
    back = ours.loads_typed(data)
    assert type(back) is own.Send and back == send
    intr = own.Interrupt(value={"q": 1}, id="i1")
    back = ours.loads_typed(ours.dumps_typed(intr))
    assert type(back) is own.Interrupt and back.value == {"q": 1} and back.id == "i1"


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.int32).reshape(2, 3),
        np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
        np.arange(10)[::2],
        np.array([1.5]),
    ],
    ids=["c", "fortran", "strided", "1d"],
)
def test_numpy_arrays(array):
    ours, theirs = JsonPlusSerializer(), LGSerializer()
    assert ours.dumps_typed(array) == theirs.dumps_typed(array)
    for back in (
        ours.loads_typed(ours.dumps_typed(array)),
        theirs.loads_typed(ours.dumps_typed(array)),
        ours.loads_typed(theirs.dumps_typed(array)),
    ):
        assert back.dtype == array.dtype and np.array_equal(back, array)


def test_unsupported_type_raises_type_error():
    with pytest.raises(TypeError, match="not msgpack serializable"):
        JsonPlusSerializer().dumps_typed(object())
    with pytest.raises(TypeError):
        JsonPlusSerializer().dumps_typed(2**64)


def test_pickle_fallback():
    serde = JsonPlusSerializer(pickle_fallback=True)
    tag, data = serde.dumps_typed(2**70)
    assert tag == "pickle"
    assert serde.loads_typed((tag, data)) == 2**70
    with pytest.raises(NotImplementedError):
        JsonPlusSerializer().loads_typed((tag, data))


def _ext(code, *parts):
    return ("msgpack", msgpack.packb(msgpack.ExtType(code, msgpack.packb(parts))))


def test_unknown_types_decode_to_payload_without_import():
    serde = JsonPlusSerializer()
    assert "no_such_module_xyz" not in sys.modules
    assert serde.loads_typed(_ext(2, "no_such_module_xyz", "Thing", {"a": 1})) == {"a": 1}
    assert serde.loads_typed(_ext(1, "no_such_module_xyz", "Thing", [1, 2])) == [1, 2]
    assert serde.loads_typed(_ext(5, "no_such_module_xyz", "M", {"f": 1}, "x")) == {"f": 1}
    assert "no_such_module_xyz" not in sys.modules
    # a dangerous callable in an already-imported module is not called either
    assert serde.loads_typed(_ext(0, "os", "system", "echo pwned")) == "echo pwned"
    assert serde.loads_typed(_ext(3, "os", "system", "echo pwned", "__call__")) == "echo pwned"


def test_allowlist_and_with_msgpack_allowlist(tmp_path):
    # A class only known by name: strict serializer returns the payload, an
    # allowlisted one rebuilds it.
    data = _ext(2, "tests_serde_helper_mod", "Box", {"v": 3})
    mod = tmp_path / "tests_serde_helper_mod.py"
    mod.write_text("import dataclasses\n@dataclasses.dataclass\nclass Box:\n    v: int\n")
    sys.path.insert(0, str(tmp_path))
    try:
        strict = JsonPlusSerializer()
        assert strict.loads_typed(data) == {"v": 3}
        wider = strict.with_msgpack_allowlist([("tests_serde_helper_mod", "Box")])
        assert wider is not strict
        assert type(wider.loads_typed(data)).__name__ == "Box"
        assert strict.loads_typed(data) == {"v": 3}
        assert wider.with_msgpack_allowlist([("tests_serde_helper_mod", "Box")]) is wider
        permissive = JsonPlusSerializer(allowed_msgpack_modules=True)
        assert permissive.loads_typed(data).v == 3
    finally:
        sys.path.remove(str(tmp_path))


def test_classes_serialized_in_process_are_rebuilt():
    @dataclasses.dataclass
    class Local:
        a: int

    serde = JsonPlusSerializer()
    assert serde.loads_typed(serde.dumps_typed(Local(1))) == Local(1)


def test_failed_construction_returns_payload():
    serde = JsonPlusSerializer(allowed_msgpack_modules=[Point])
    assert serde.loads_typed(_ext(2, Point.__module__, "Point", {"nope": 1})) == {"nope": 1}


def test_maybe_add_typed_methods():
    class Untyped:
        def dumps(self, obj):
            return repr(obj).encode()

        def loads(self, data):
            return eval(data)

    wrapped = maybe_add_typed_methods(Untyped())
    assert isinstance(wrapped, SerializerProtocol)
    assert wrapped.dumps_typed([1]) == ("list", b"[1]")
    assert wrapped.loads_typed(("list", b"[1]")) == [1]
    serde = JsonPlusSerializer()
    assert maybe_add_typed_methods(serde) is serde


def test_legacy_json_tag():
    serde = JsonPlusSerializer()
    assert serde.loads_typed(("json", b'{"a": [1, 2]}')) == {"a": [1, 2]}
    envelope = (
        b'{"lc": 2, "type": "constructor", "id": ["uuid", "UUID"], "args": ["' + b"0" * 32 + b'"]}'
    )
    assert serde.loads_typed(("json", envelope)) == uuid.UUID(int=0)
    blocked = b'{"lc": 2, "type": "constructor", "id": ["os", "system"], "args": ["echo"]}'
    assert serde.loads_typed(("json", blocked)) is None


def test_import_does_not_load_numba_or_langchain_core():
    code = (
        "import sys, langgraph_jit.checkpoint.memory, langgraph_jit.checkpoint.serde.jsonplus;"
        "print('numba' in sys.modules, 'langchain_core' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
