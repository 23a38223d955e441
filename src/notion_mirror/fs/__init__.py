"""FUSE front-end of the mirror: ``notion-mirror mount``.

``ops`` is the pass-through filesystem (plain ``os`` calls plus journaling at
close), ``kernel`` the thin layer over mfusepy/libfuse, ``mount`` the session
that serves it next to the watch daemon's sync loop.
"""

from notion_mirror.fs.mount import MountOptions, check_mountpoint, mount

__all__ = ["MountOptions", "check_mountpoint", "mount"]
