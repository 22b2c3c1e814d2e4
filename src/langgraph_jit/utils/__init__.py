"""Deprecated `langgraph.utils` paths some libraries still import."""
