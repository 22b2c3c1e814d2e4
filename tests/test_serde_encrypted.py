"""EncryptedSerializer: LangGraph's AES format, read and written both ways."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

pytest.importorskip("Crypto")

from langgraph.checkpoint.serde.encrypted import EncryptedSerializer as LgEncrypted

from langgraph_jit.checkpoint.serde.encrypted import EncryptedSerializer

KEY = "0123456789abcdef0123456789abcdef"
VALUES: list[Any] = [None, 0, "text", b"raw", {"a": [1, 2.5, None]}, ("t", 1)]


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGGRAPH_AES_KEY", KEY)


@pytest.mark.parametrize("value", VALUES)
def test_langgraph_reads_ours_and_we_read_langgraphs(value: Any) -> None:
    ours = EncryptedSerializer.from_pycryptodome_aes()
    theirs = LgEncrypted.from_pycryptodome_aes()
    typed = ours.dumps_typed(value)
    assert typed[0].endswith("+aes")
    assert theirs.loads_typed(typed) == ours.loads_typed(typed)
    assert ours.loads_typed(theirs.dumps_typed(value)) == theirs.loads_typed(
        theirs.dumps_typed(value)
    )


def test_plain_values_still_read_and_a_wrong_key_fails() -> None:
    ours = EncryptedSerializer.from_pycryptodome_aes()
    plain = ours.serde.dumps_typed({"b": 2})
    assert ours.loads_typed(plain) == {"b": 2}
    other = EncryptedSerializer.from_pycryptodome_aes(key=b"f" * 16)
    with pytest.raises(ValueError):
        other.loads_typed(ours.dumps_typed({"b": 2}))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (None, "LANGGRAPH_AES_KEY environment variable is not set."),
        ("short", "must be 16, 24, or 32"),
    ],
)
def test_key_errors_as_in_langgraph(
    monkeypatch: pytest.MonkeyPatch, env: str | None, message: str
) -> None:
    if env is None:
        monkeypatch.delenv("LANGGRAPH_AES_KEY")
    else:
        monkeypatch.setenv("LANGGRAPH_AES_KEY", env)
    for cls in (EncryptedSerializer, LgEncrypted):
        with pytest.raises(ValueError, match=message):
            cls.from_pycryptodome_aes()


def test_sqlite_saver_with_encrypted_checkpoints(tmp_path: Any) -> None:
    from langgraph_jit.checkpoint.sqlite import SqliteSaver
    from langgraph_jit.graph import START, StateGraph

    path = tmp_path / "enc.sqlite"
    conn = sqlite3.connect(path, check_same_thread=False)
    saver = SqliteSaver(conn, serde=EncryptedSerializer.from_pycryptodome_aes())
    builder = StateGraph(dict)
    builder.add_node("a", lambda s: {"secret": "plaintext-marker"})
    builder.add_edge(START, "a")
    graph = builder.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"secret": "x"}, config)
    assert graph.get_state(config).values == {"secret": "plaintext-marker"}
    conn.commit()
    assert b"plaintext-marker" not in path.read_bytes()
    conn.close()
