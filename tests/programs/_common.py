"""Shared by the differential programs: a scripted chat model (no network) and a
JSON dump of whatever a run produced. Imports `langgraph` only through the programs."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, PrivateAttr


class ScriptedChat(BaseChatModel):
    """Answers each call with the next scripted AIMessage (cycling); supports bind_tools."""

    responses: list
    _calls: list = PrivateAttr(default_factory=lambda: [0])

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        i = self._calls[0]
        self._calls[0] += 1
        msg = self.responses[i % len(self.responses)]
        if callable(msg):
            msg = msg(messages)
        return ChatResult(generations=[ChatGeneration(message=msg.model_copy(deep=True))])

    def bind_tools(self, tools, **kwargs):
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)


def call(name: str, args: dict, id: str) -> dict:
    return {"name": name, "args": args, "id": id, "type": "tool_call"}


def ai(content: str = "", *calls: dict, id: str) -> AIMessage:
    return AIMessage(content=content, tool_calls=list(calls), id=id)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX32 = re.compile(r"\b[0-9a-f]{32}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00")


def plain(value: Any) -> Any:
    """A JSON-able, engine-neutral view of run output."""
    if isinstance(value, BaseMessage):
        out = {"type": value.type, "content": value.content, "id": value.id}
        for key in ("name", "tool_calls", "tool_call_id", "status"):
            v = getattr(value, key, None)
            if v:
                out[key] = plain(v)
        if value.additional_kwargs:
            out["additional_kwargs"] = plain(value.additional_kwargs)
        return out
    if isinstance(value, BaseModel):
        return {"__model__": type(value).__name__, **plain(value.model_dump())}
    if type(value).__name__ == "StateSnapshot":
        return {
            "values": plain(value.values),
            "next": list(value.next),
            "tasks": [{"name": t.name, "interrupts": plain(t.interrupts)} for t in value.tasks],
        }
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if type(value).__name__ == "Interrupt":
        return {"__interrupt__": plain(value.value), "id": value.id}
    if type(value).__name__ in ("Command", "Send"):
        return {"__" + type(value).__name__: repr(value)}
    if type(value).__name__ == "StateSnapshot":
        return {
            "values": plain(value.values),
            "next": list(value.next),
            "tasks": [{"name": t.name, "interrupts": plain(t.interrupts)} for t in value.tasks],
        }
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def normalise(text: str) -> str:
    seen: dict[str, str] = {}

    def sub(m):
        return seen.setdefault(m.group(0), f"<id{len(seen)}>")

    return _TIME.sub("<time>", _HEX32.sub(sub, _UUID.sub(sub, text)))


RESULTS: dict[str, Any] = {}


def record(name: str, value: Any) -> None:
    RESULTS[name] = plain(value)


def scenario(fn):
    """Run one scenario; an exception becomes its recorded result."""
    try:
        fn()
    except Exception as exc:
        RESULTS.setdefault(fn.__name__, None)
        RESULTS[fn.__name__ + ":error"] = f"{type(exc).__name__}: {exc}"
    return fn


def dump() -> None:
    engine = sys.modules["langgraph.graph"].__name__.split(".")[0]
    out = {
        name: normalise(json.dumps(v, indent=1, sort_keys=True, default=repr))
        for name, v in RESULTS.items()
    }
    print("@@RESULTS@@" + json.dumps({"engine": engine, "results": out}))
