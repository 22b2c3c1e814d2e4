"""`Overwrite`: a write that replaces a reducer channel's value instead of being folded in.

Lives apart from `types` so channels can use it without importing the whole types module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from langgraph_jit._constants import OVERWRITE

__all__ = ("Overwrite",)


@dataclass(slots=True)
class Overwrite:
    """Wrap a value to write it to a `BinaryOperatorAggregate` channel bypassing the reducer.

    `type` is a discriminator that survives JSON serialisation, so the dict form
    `{"value": v, "type": "__overwrite__"}` is recognised as an overwrite too.
    """

    value: Any
    # OVERWRITE is the interned "__overwrite__"; _constants types it as plain str
    type: Literal["__overwrite__"] = OVERWRITE  # type: ignore[assignment]
