"""Named crash points for the reliability tests (``NOTION_MIRROR_CRASH_AT``).

``NOTION_MIRROR_CRASH_AT=<point>[:<nth>]`` makes the process SIGKILL itself at
the nth hit (default the first) of a named point, so the tests can prove that
a run killed at any step of capture, plan, execute, materialise or a rename converges
when restarted. Unset (always, outside tests) it costs one environment lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = [
    "CAPTURE_POINTS",
    "CRASH_ENV",
    "CRASH_POINTS",
    "EXECUTE_POINTS",
    "MATERIALIZE_POINTS",
    "NAME_POINTS",
    "PLAN_POINTS",
    "crash_point",
]

CRASH_ENV = "NOTION_MIRROR_CRASH_AT"
# The journal holds the scan's entries; nothing planned yet.
CAPTURE_POINTS = ("after_capture",)
# The outbox holds every planned write; nothing sent yet.
PLAN_POINTS = ("after_plan",)
EXECUTE_POINTS = ("before_send", "after_send", "after_response", "after_settle")
# A temp file holds the new bytes; the file was set aside; the new file is in
# place but the state does not know yet.
MATERIALIZE_POINTS = ("materialize_temp", "materialize_aside", "after_materialize")
# A file moving to its title's name: the state names the new path, the file
# is still at the old one; then the file has moved.
NAME_POINTS = ("before_rename", "after_rename")
CRASH_POINTS = CAPTURE_POINTS + PLAN_POINTS + EXECUTE_POINTS + MATERIALIZE_POINTS + NAME_POINTS
_hits: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Kill this process at ``name`` when the crash-test variable asks for it."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
