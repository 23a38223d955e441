"""notion-mirror: a Notion data source as a folder of Markdown files, synced both ways."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("notion-mirror")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
