"""v2 stream parts (`{"type", "ns", "data"[, "interrupts"]}`) to v3 protocol events."""

from __future__ import annotations

import time
from typing import Any

from langgraph_jit.stream._types import ProtocolEvent, _ProtocolEventParams


def convert_to_protocol_event(part: Any) -> ProtocolEvent:
    """Wrap one v2 stream part in the protocol envelope (stamped with the wall clock)."""
    params: _ProtocolEventParams = {
        "namespace": list(part["ns"]),
        "timestamp": int(time.time() * 1000),
        "data": part["data"],
    }
    if "interrupts" in part:
        params["interrupts"] = part["interrupts"]
    return {"type": "event", "method": part["type"], "params": params}
