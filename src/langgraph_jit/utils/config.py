"""`langgraph.utils.config`: old home of the config helpers."""

from langgraph_jit._internal._config import ensure_config, merge_configs, patch_configurable  # noqa: F401
from langgraph_jit.config import get_config, get_store, get_stream_writer  # noqa: F401
