"""Channel types, with the same names and behaviour as `langgraph.channels`."""

from langgraph_jit.channels.any_value import AnyValue
from langgraph_jit.channels.base import BaseChannel
from langgraph_jit.channels.binop import BinaryOperatorAggregate
from langgraph_jit.channels.delta import DeltaChannel
from langgraph_jit.channels.ephemeral_value import EphemeralValue
from langgraph_jit.channels.last_value import LastValue, LastValueAfterFinish
from langgraph_jit.channels.named_barrier_value import (
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
)
from langgraph_jit.channels.topic import Topic
from langgraph_jit.channels.untracked_value import UntrackedValue

__all__ = (
    "AnyValue",
    "BaseChannel",
    "BinaryOperatorAggregate",
    "DeltaChannel",
    "EphemeralValue",
    "LastValue",
    "LastValueAfterFinish",
    "NamedBarrierValue",
    "NamedBarrierValueAfterFinish",
    "Topic",
    "UntrackedValue",
)
