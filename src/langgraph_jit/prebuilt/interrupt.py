"""Typed payloads of the agent-inbox human-in-the-loop convention."""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict


class HumanInterruptConfig(TypedDict):
    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


class ActionRequest(TypedDict):
    action: str
    args: dict


class HumanInterrupt(TypedDict):
    action_request: ActionRequest
    config: HumanInterruptConfig
    description: str | None


class HumanResponse(TypedDict):
    type: Literal["accept", "ignore", "response", "edit"]
    args: str | ActionRequest | None
