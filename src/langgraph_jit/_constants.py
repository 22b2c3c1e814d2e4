"""Reserved channel names, config keys and task-path tags used inside the engine.

The string values match LangGraph's, because they are visible in checkpoints,
writes and stream payloads.
"""

import os
import sys

# A run's recursion limit when its config sets none (LangGraph's default and variable).
DEFAULT_RECURSION_LIMIT = int(os.getenv("LANGGRAPH_DEFAULT_RECURSION_LIMIT", "10007"))

INPUT = sys.intern("__input__")
INTERRUPT = sys.intern("__interrupt__")
RESUME = sys.intern("__resume__")
ERROR = sys.intern("__error__")
ERROR_SOURCE_NODE = sys.intern("__error_source_node__")
# Marks an error handler's task path: (*failed task's path[:3], this, False).
ERROR_HANDLER_PATH = sys.intern("node_error_handler")
NO_WRITES = sys.intern("__no_writes__")
TASKS = sys.intern("__pregel_tasks")
RETURN = sys.intern("__return__")
PREVIOUS = sys.intern("__previous__")
SCHEDULED = sys.intern("__scheduled__")
START = sys.intern("__start__")
END = sys.intern("__end__")

CONFIG_KEY_SEND = sys.intern("__pregel_send")
CONFIG_KEY_READ = sys.intern("__pregel_read")
CONFIG_KEY_CALL = sys.intern("__pregel_call")
CONFIG_KEY_CHECKPOINTER = sys.intern("__pregel_checkpointer")
CONFIG_KEY_STREAM = sys.intern("__pregel_stream")
# Set (configurable) by v3 event streaming: a `version="v2"` stream of `messages`
# gets chat-model output as protocol events (StreamMessagesHandlerV2), not chunks.
CONFIG_KEY_STREAM_MESSAGES_V2 = sys.intern("__pregel_stream_messages_v2")
CONFIG_KEY_CACHE = sys.intern("__pregel_cache")
CONFIG_KEY_RESUMING = sys.intern("__pregel_resuming")
CONFIG_KEY_TASK_ID = sys.intern("__pregel_task_id")
CONFIG_KEY_THREAD_ID = sys.intern("thread_id")
CONFIG_KEY_CHECKPOINT_MAP = sys.intern("checkpoint_map")
CONFIG_KEY_CHECKPOINT_ID = sys.intern("checkpoint_id")
CONFIG_KEY_CHECKPOINT_NS = sys.intern("checkpoint_ns")
# A caller's configurable naming any of these addresses its own checkpoints: a
# graph invoked so inside a node is a root run, not a subgraph of the node.
CHECKPOINT_COORDINATES = (
    CONFIG_KEY_THREAD_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_MAP,
)
CONFIG_KEY_SCRATCHPAD = sys.intern("__pregel_scratchpad")
CONFIG_KEY_DURABILITY = sys.intern("__pregel_durability")
CONFIG_KEY_RUNTIME = sys.intern("__pregel_runtime")
CONFIG_KEY_RESUME_MAP = sys.intern("__pregel_resume_map")
CONFIG_KEY_PARENT_TASK = sys.intern("__pregel_parent_task")
# Resume answers must name pending interrupts exactly (UnknownInterruptError).
CONFIG_KEY_STRICT_RESUME = sys.intern("__pregel_strict_resume")
# The replay a root run is making (time travel): which checkpoint its subgraphs
# go back to (pregel._core.replay.ReplayScope).
CONFIG_KEY_REPLAY_STATE = sys.intern("__pregel_replay_state")
# A callable (configurable) called with the name of each visible node that
# finishes, in this graph and its subgraphs.
CONFIG_KEY_NODE_FINISHED = sys.intern("__pregel_node_finished")
# A callable (configurable) told when each attempt of a node with a timeout
# starts, makes progress and finishes (pregel._timeout.AttemptEvent); a
# watchdog outside the process relies on it.
CONFIG_KEY_TIMED_ATTEMPT_OBSERVER = sys.intern("__pregel_timed_attempt_observer")
# Namespace of a node's cached writes in a BaseCache.
CACHE_NS_WRITES = sys.intern("__pregel_ns_writes")

# The logger LangGraph's engine warns on (users configure it by this name).
ENGINE_LOGGER = "langgraph"

# Config keys with this prefix are the engine's own: never shown to savers or users.
PRIVATE_CONFIG_PREFIX = "__pregel_"

# Set (True) on callables that stream while a node calling them still runs, though they
# are neither graphs nor LangChain runnables: `@task` functions (their calls' chunks) and
# `push_message`. See pregel._subgraphs.may_stream_while_running.
STREAMS_WHILE_RUNNING = "__langgraph_jit_streams_while_running__"
# Set (True) on node callables that must run beside the engine even when the graph has a
# cluster task runner: an @entrypoint workflow orchestrates its task calls. See distributed/.
RUNS_IN_CALLER = "__langgraph_jit_runs_in_caller__"

PUSH = sys.intern("__pregel_push")
# The triggers of a pushed task (a Send or a task call).
PUSH_TRIGGER = (PUSH,)
PULL = sys.intern("__pregel_pull")
NS_SEP = sys.intern("|")
NS_END = sys.intern(":")
CONF = sys.intern("configurable")
NULL_TASK_ID = sys.intern("00000000-0000-0000-0000-000000000000")
OVERWRITE = sys.intern("__overwrite__")

# Writes to these pseudo-channels carry control information, never state.
RESERVED_WRITES = frozenset({NO_WRITES, PUSH, RESUME, INTERRUPT, RETURN, ERROR, ERROR_SOURCE_NODE})

# Writes that say what happened to a task rather than what it produced.
CONTROL_WRITES = frozenset({ERROR, ERROR_SOURCE_NODE, INTERRUPT, RESUME})
# Saved writes a task never takes back when it is planned again.
WRITES_NOT_REUSED = frozenset({ERROR, INTERRUPT, RESUME, SCHEDULED})

# Names LangGraph reserves for channels and nodes (control keys, config keys).
RESERVED_NAMES = frozenset(
    {
        "langsmith:hidden",
        "__input__",
        "__interrupt__",
        "__resume__",
        "__error__",
        "__error_source_node__",
        "__no_writes__",
        "__snapshot_bumps__",
        "__pregel_send",
        "__pregel_read",
        "__pregel_checkpointer",
        "__pregel_stream",
        "checkpoint_map",
        "__pregel_resuming",
        "__pregel_replay_state",
        "__pregel_task_id",
        "checkpoint_id",
        "checkpoint_ns",
        "__pregel_timed_attempt_observer",
        "__pregel_resume_map",
        "__pregel_strict_resume",
        "__pregel_stream_messages_v2",
        "__pregel_push",
        "__pregel_pull",
        "|",
        ":",
        "configurable",
    }
)

# Metadata keys LangGraph never copies from config into checkpoint metadata.
EXCLUDED_METADATA_KEYS = frozenset(
    {
        "thread_id",
        "checkpoint_id",
        "checkpoint_ns",
        "checkpoint_map",
        "langgraph_step",
        "langgraph_node",
        "langgraph_triggers",
        "langgraph_path",
        "langgraph_checkpoint_ns",
    }
)


class _Missing:
    """Sentinel for 'no value' where None is a legitimate value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        # Pickled by name, so it stays the one sentinel `is` checks compare with in
        # another process (a graph or channel shipped to a cluster worker).
        return "MISSING"


MISSING = _Missing()
