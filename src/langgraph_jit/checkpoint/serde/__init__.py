"""Serializers used by checkpoint savers (msgpack wire format shared with LangGraph)."""
