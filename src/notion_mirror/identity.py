"""Which folder a state database belongs to: a copied mirror is refused.

Two copies of one mirror would each believe they own the same pages (and the
same open outbox commands), so both would act on them. The state records
where it lives: the folder's real path and the ``.notion-mirror`` folder's
device and inode. A ``cp -r`` gives a new inode at a new path while the
original is still there: that is a copy, refused with a way out. A move keeps
the inode, or leaves nothing at the old path; a restore from a backup comes
back at the same path: those are the same mirror, and the record follows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from notion_mirror.errors import UsageError
from notion_mirror.store import StateStore

__all__ = ["CopiedMirrorError", "check_location"]

LOCATION_KEY = "location"


class CopiedMirrorError(UsageError):
    """This folder's state was copied from a mirror that still exists elsewhere."""


def _here(state_dir: Path) -> dict[str, object]:
    st = os.stat(state_dir)
    return {"root": str(state_dir.parent.resolve()), "dev": st.st_dev, "ino": st.st_ino}


def _same_state_dir(path: Path, dev: object, ino: object) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


def check_location(state_dir: Path, store: StateStore) -> None:
    """Refuse a copied mirror; record the location of a new or moved one."""
    here = _here(state_dir)
    raw = store.get_meta(LOCATION_KEY)
    recorded = json.loads(raw) if raw else None
    if recorded == here:
        return
    if recorded and recorded["root"] != here["root"]:
        origin = Path(recorded["root"]) / state_dir.name
        if (recorded["dev"], recorded["ino"]) != (here["dev"], here["ino"]) and _same_state_dir(
            origin, recorded["dev"], recorded["ino"]
        ):
            raise CopiedMirrorError(
                f"{here['root']} is a copy of the mirror at {recorded['root']}, which still "
                "exists: two copies syncing one data source would act on the same pages, "
                "so nothing was done. Work in the original; or, to make this folder a "
                f"mirror of its own, delete its {state_dir.name}/state.sqlite and sync: its "
                "files are re-adopted by their _notion ids, and every difference from "
                "Notion becomes a conflict for you to settle"
            )
    store.set_meta(LOCATION_KEY, json.dumps(here, sort_keys=True))
