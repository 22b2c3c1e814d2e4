"""Serializer allowlists built from schemas, at LangGraph's path `langgraph._internal._serde`."""

from langgraph_jit.checkpoint.serde._schema_classes import (
    collect_allowlist_from_schemas,
    curated_core_allowlist,
)

__all__ = ("collect_allowlist_from_schemas", "curated_core_allowlist")
