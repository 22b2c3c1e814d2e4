"""Reserved names and config keys, at the path `langgraph._internal._constants`."""

from __future__ import annotations

import sys

from langgraph_jit._constants import *  # noqa: F403
from langgraph_jit._constants import CONF, CONFIG_KEY_READ  # noqa: F401

# Keys LangGraph defines that our engine does not set; kept so imports resolve.
CONFIG_KEY_READ_STATE = sys.intern("__pregel_read_state")
CONFIG_KEY_NODE_ERROR = sys.intern("__pregel_node_error")
CONFIG_KEY_CALL = sys.intern("__pregel_call")
