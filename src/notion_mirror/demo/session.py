"""``notion-mirror demo``: a local emulator with a realistic data source, tracked.

The emulator's workspace is kept in ``<dir>/.notion-mirror/demo-workspace.json``
so running the demo again resumes the same pages and the same mirror. The
demo uses a fixed, non-secret token: it only ever talks to the loopback
emulator it started.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from notion_mirror.mirror import STATE_DIR, find_mirror_root
from notion_mirror.sync.pull import PullReport

__all__ = ["DEMO_TOKEN", "DemoSession", "demo_session"]

DEMO_TOKEN = "ntn_demo_local_emulator_not_a_secret"
WORKSPACE_FILE = "demo-workspace.json"


@dataclass(frozen=True)
class DemoSession:
    directory: Path
    base_url: str
    token: str
    database_id: str
    data_source_id: str
    report: PullReport
    seeded: bool


@contextmanager
def demo_session(directory: Path) -> Iterator[DemoSession]:
    """Start the emulator, seed it on first use, track it into ``directory``."""
    from notion_mirror.demo.seed import seed_demo
    from notion_mirror.errors import UsageError
    from notion_mirror.notion import NotionClient
    from notion_mirror.sync.track import track
    from notion_mirror.testing import running_emulator

    directory = directory.resolve()
    existing = find_mirror_root(directory) if directory.exists() else None
    workspace = directory / STATE_DIR / WORKSPACE_FILE
    if existing is not None and not workspace.exists():
        raise UsageError(f"{directory} is a mirror of real data, not a demo; pick another folder")
    (directory / STATE_DIR).mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh = not workspace.exists()
    with running_emulator(token=DEMO_TOKEN, data=str(workspace)) as emu:
        client = NotionClient(token=emu.token, base_url=emu.base_url, rate_limit=None)
        try:
            if fresh:
                ids = seed_demo(emu.base_url, emu.token, emu.root_page_id)
                ref = ids.database_id
            else:
                ref = _recorded_database(directory)
            _, target, report = track(client, ref, directory)
        finally:
            client.close()
        yield DemoSession(
            directory=directory,
            base_url=emu.base_url,
            token=emu.token,
            database_id=target.database_id or "",
            data_source_id=target.data_source_id,
            report=report,
            seeded=fresh,
        )


def _recorded_database(directory: Path) -> str:
    from notion_mirror.mirror import open_mirror

    cfg = open_mirror(directory).config
    return cfg.database_id or cfg.data_source_id
