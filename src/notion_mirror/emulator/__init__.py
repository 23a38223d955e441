"""A local Notion API (version 2026-03-11) for tests, the demo and benchmarks.

See ``docs/emulator.md``. Product code must not import this package except
from ``emulator``/``demo`` commands and ``notion_mirror.testing``.
"""

from notion_mirror.emulator.options import EmulatorOptions
from notion_mirror.emulator.server import Emulator, serve

__all__ = ["Emulator", "EmulatorOptions", "serve"]
