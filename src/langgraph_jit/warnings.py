"""Deprecation warning classes, with LangGraph's names."""

from __future__ import annotations

__all__ = (
    "LangGraphDeprecatedSinceV05",
    "LangGraphDeprecatedSinceV10",
    "LangGraphDeprecatedSinceV11",
    "LangGraphDeprecationWarning",
)


class LangGraphDeprecationWarning(DeprecationWarning):
    """A deprecated LangGraph API: says since when and when it goes away."""

    message: str
    since: tuple[int, int]
    expected_removal: tuple[int, int]

    def __init__(
        self,
        message: str,
        *args: object,
        since: tuple[int, int],
        expected_removal: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(message, *args)
        self.message = message.rstrip(".")
        self.since = since
        self.expected_removal = (
            expected_removal if expected_removal is not None else (since[0] + 1, 0)
        )

    def __str__(self) -> str:
        return (
            f"{self.message}. Deprecated in LangGraph V{self.since[0]}.{self.since[1]}"
            f" to be removed in V{self.expected_removal[0]}.{self.expected_removal[1]}."
        )


class LangGraphDeprecatedSinceV05(LangGraphDeprecationWarning):
    def __init__(self, message: str, *args: object) -> None:
        super().__init__(message, *args, since=(0, 5), expected_removal=(2, 0))


class LangGraphDeprecatedSinceV10(LangGraphDeprecationWarning):
    def __init__(self, message: str, *args: object) -> None:
        super().__init__(message, *args, since=(1, 0), expected_removal=(2, 0))


class LangGraphDeprecatedSinceV11(LangGraphDeprecationWarning):
    def __init__(self, message: str, *args: object) -> None:
        super().__init__(message, *args, since=(1, 1), expected_removal=(3, 0))


def warn_renamed(old: str, new: str, category: type[Warning], stacklevel: int = 2) -> None:
    """LangGraph's warning for a keyword argument that was renamed; `stacklevel`
    counts from the caller of this function, as for `warnings.warn`."""
    import warnings

    warnings.warn(
        f"`{old}` is deprecated and will be removed. Please use `{new}` instead.",
        category=category,
        stacklevel=stacklevel + 1,
    )


def checkpoint_during_as_durability(
    checkpoint_during: bool, durability: str | None, stacklevel: int = 2
) -> str:
    """The durability meant by the deprecated `checkpoint_during=` run argument
    (True: save every step in the background, False: save on exit), with its
    warning; `stacklevel` counts from the caller of this function."""
    import warnings

    warnings.warn(
        "`checkpoint_during` is deprecated and will be removed. Please use `durability` instead.",
        category=LangGraphDeprecatedSinceV10,
        stacklevel=stacklevel + 1,
    )
    if durability is not None:
        raise ValueError("Pass `durability` only: `checkpoint_during` is its deprecated spelling.")
    return "async" if checkpoint_during else "exit"
