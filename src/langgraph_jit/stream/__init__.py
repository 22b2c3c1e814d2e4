"""Names of LangGraph's v3 event streaming (`langgraph.stream`), so libraries that
define transformers import and subclass them; langgraph_jit does not run the v3
transformer pipeline yet (`stream_events(version="v3")`): transformers passed to
`compile(transformers=...)` are accepted and not called."""

from langgraph_jit.stream._types import ProtocolEvent, StreamTransformer
from langgraph_jit.stream.run_stream import (
    AsyncGraphRunStream,
    AsyncSubgraphRunStream,
    GraphRunStream,
    SubgraphRunStream,
)
from langgraph_jit.stream.stream_channel import StreamChannel
from langgraph_jit.stream.transformers import (
    CheckpointsTransformer,
    CustomTransformer,
    DebugTransformer,
    LifecyclePayload,
    LifecycleTransformer,
    SubgraphStatus,
    SubgraphTransformer,
    TasksTransformer,
    UpdatesTransformer,
)

__all__ = [
    "AsyncGraphRunStream",
    "AsyncSubgraphRunStream",
    "CheckpointsTransformer",
    "CustomTransformer",
    "DebugTransformer",
    "GraphRunStream",
    "LifecyclePayload",
    "LifecycleTransformer",
    "ProtocolEvent",
    "StreamChannel",
    "StreamTransformer",
    "SubgraphRunStream",
    "SubgraphStatus",
    "SubgraphTransformer",
    "TasksTransformer",
    "UpdatesTransformer",
]
