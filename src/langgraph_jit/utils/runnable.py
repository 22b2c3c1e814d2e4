"""`langgraph.utils.runnable`: old home of RunnableCallable (trustcall imports it here)."""

from langgraph_jit._internal._runnable import (  # noqa: F401
    RunnableCallable,
    RunnableLike,
    is_async_callable,
    is_async_generator,
)
