"""Time travel across graph levels: which checkpoint a subgraph starts from
while its root run replays (or forks from) an earlier checkpoint.

A replayed parent step reruns its subgraphs. Each subgraph must see its own
history as it was at that point, not its latest state: the first time a
subgraph namespace runs during the replay it loads its newest checkpoint
older than the replay point; later calls of the same subgraph (a loop) load
their latest checkpoint, the one the replay itself just wrote.
"""

from __future__ import annotations

import threading

from langgraph_jit._constants import NS_END, NS_SEP


def without_task_ids(checkpoint_ns: str) -> str:
    """The node path a namespace names (how a state method given a
    subgraph's config finds that subgraph): no task ids, no call counters."""
    return NS_SEP.join(
        part.split(NS_END, 1)[0] for part in checkpoint_ns.split(NS_SEP) if not part.isdigit()
    )


class ReplayScope:
    """Shared by every task config of one replaying root run (subgraphs at
    any depth, in any thread): the bound their first load is older than."""

    __slots__ = ("checkpoint_id", "_visited", "_lock")

    def __init__(self, checkpoint_id: str) -> None:
        # Subgraph checkpoints are older than this id when they were made
        # before the replayed step ran (ids are time-ordered).
        self.checkpoint_id = checkpoint_id
        self._visited: set[str] = set()
        self._lock = threading.Lock()

    def first_visit(self, checkpoint_ns: str) -> bool:
        """True the first time this subgraph runs in the replay. What follows
        the last task-id separator is dropped, so each loop iteration (a new
        task id) counts as the same subgraph, as in LangGraph."""
        stable = checkpoint_ns.rsplit(NS_END, 1)[0]
        with self._lock:
            if stable in self._visited:
                return False
            self._visited.add(stable)
            return True

    def __repr__(self) -> str:
        return f"ReplayScope({self.checkpoint_id!r})"
