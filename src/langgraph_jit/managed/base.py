"""LangGraph's `langgraph.managed.base` path: the managed-value base class and its helpers.

The classes live in `langgraph_jit.managed`; this module adds the spec/mapping aliases.
"""

from langgraph_jit.managed import ManagedValue, is_managed_value

__all__ = ("ManagedValue", "ManagedValueMapping", "ManagedValueSpec", "is_managed_value")

ManagedValueSpec = type[ManagedValue]
ManagedValueMapping = dict[str, ManagedValueSpec]
