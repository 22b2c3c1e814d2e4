"""The lz4-compressed and JSON serializer variants: round trips, tags, safety."""

from __future__ import annotations

import datetime
import decimal
import uuid

import msgpack
import pytest

from langgraph_jit.checkpoint.serde.json import JSON_TAG, JsonSerializer
from langgraph_jit.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph_jit.checkpoint.serde.lz4 import CompressedSerializer
from langgraph_jit.types import Send

VALUES = [
    None,
    b"raw bytes",
    "text",
    {"a": [1, 2.5, "x"], 3: "int key", (1, 2): "tuple key"},
    {"__ext__": 1, "data": 2},  # looks like a marker; must survive
    {"__bytes__": "not base64"},
    datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.timezone.utc),
    uuid.UUID(int=7),
    decimal.Decimal("1.25"),
    {1, 2, 3},
    Send("node", {"x": [1, 2]}),
    {"messages": [{"content": "hello " * 200, "id": str(i)} for i in range(20)]},
]


@pytest.mark.parametrize(
    "serde",
    [CompressedSerializer(), CompressedSerializer(min_size=0), JsonSerializer()],
    ids=["lz4", "lz4-always", "json"],
)
@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_round_trip_like_msgpack(serde, value):
    expected = JsonPlusSerializer().loads_typed(JsonPlusSerializer().dumps_typed(value))
    assert serde.loads_typed(serde.dumps_typed(value)) == expected


def test_numpy_round_trip():
    np = pytest.importorskip("numpy")
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    for serde in (CompressedSerializer(min_size=0), JsonSerializer()):
        out = serde.loads_typed(serde.dumps_typed(array))
        assert out.dtype == array.dtype and (out == array).all()


def test_tags_and_mixed_store():
    big = {"doc": "x" * 5000}
    lz4 = CompressedSerializer()
    assert lz4.dumps_typed(big)[0] == "msgpack+lz4"
    assert len(lz4.dumps_typed(big)[1]) < 200
    assert lz4.dumps_typed({"small": 1})[0] == "msgpack"  # under min_size: unchanged
    # Values written without compression (e.g. by LangGraph) still load.
    assert lz4.loads_typed(JsonPlusSerializer().dumps_typed(big)) == big
    assert JsonSerializer().dumps_typed(big)[0] == JSON_TAG
    assert JsonSerializer().loads_typed(JsonPlusSerializer().dumps_typed(big)) == big


def test_json_is_readable_text():
    tag, data = JsonSerializer().dumps_typed({"when": datetime.date(2024, 1, 2), "n": 1})
    assert tag == JSON_TAG
    assert b'"n":1' in data and b"datetime" in data


@pytest.mark.parametrize(
    "serde", [CompressedSerializer(min_size=0), JsonSerializer()], ids=["lz4", "json"]
)
def test_crafted_payload_does_not_execute(serde, tmp_path):
    marker = tmp_path / "pwned"
    evil = {"x": msgpack.ExtType(0, msgpack.packb(("os", "system", f"touch {marker}")))}
    raw = ("msgpack", msgpack.packb(evil))
    if isinstance(serde, JsonSerializer):
        data = (
            JSON_TAG,
            f'{{"x":{{"__ext__":0,"data":["os","system","touch {marker}"]}}}}'.encode(),
        )
    else:
        import lz4.block

        data = ("msgpack+lz4", lz4.block.compress(raw[1]))
    assert serde.loads_typed(data) == {"x": f"touch {marker}"}
    assert not marker.exists()
