"""Conversion of stream chunks to protocol events (not used by langgraph_jit's engine)."""
