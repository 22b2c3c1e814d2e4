"""Saver capability flags (checkpoint/base OwnPutCapability): a saver whose write methods
were replaced, by a subclass or by patching the class itself, is called through them."""

from __future__ import annotations

import pytest

from langgraph_jit.checkpoint.memory import InMemorySaver


def test_flags_hold_for_the_class_as_defined():
    saver = InMemorySaver()
    assert saver.writes_in_any_thread is True


def test_a_subclass_overriding_a_write_method_loses_the_flag():
    class Spy(InMemorySaver):
        async def aput(self, *args, **kwargs):
            return await super().aput(*args, **kwargs)

    assert Spy().writes_in_any_thread is False


@pytest.mark.parametrize("method", ["put", "aput", "put_writes", "aput_writes"])
def test_patching_the_class_itself_loses_the_flag(monkeypatch, method):
    original = getattr(InMemorySaver, method)
    monkeypatch.setattr(InMemorySaver, method, lambda self, *a, **k: original(self, *a, **k))
    assert InMemorySaver().writes_in_any_thread is False
    monkeypatch.undo()
    assert InMemorySaver().writes_in_any_thread is True
