"""Long-term memory shared across threads: the store API (`base`) and an in-memory store (`memory`).

Nothing is imported here eagerly, so `import langgraph_jit.store` stays cheap.
"""
