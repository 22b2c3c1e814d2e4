"""The installed package's version string, as `langgraph.version.__version__`.

Read from the distribution metadata; empty when the package is not installed.
"""

from importlib import metadata as _metadata

__all__ = ("__version__",)

try:
    __version__ = _metadata.version("langgraph-jit")
except _metadata.PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = ""
del _metadata
