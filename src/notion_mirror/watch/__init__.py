"""The watch daemon: scheduling and change intake over the sync engine."""

from notion_mirror.watch.daemon import Daemon, WatchLog, WatchOptions, read_daemon_state

__all__ = ["Daemon", "WatchLog", "WatchOptions", "read_daemon_state"]
