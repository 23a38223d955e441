"""Converter fixpoint over the demo corpus (every property type, every body construct
the demo data uses: headings, nested lists, to-dos, code, callouts, toggles, tables,
equations, inline formatting, tricky titles).

pull -> push -> pull gives identical bytes, and the push sends nothing: neither a
touched file, nor a file whose body is re-spaced (formatting only), nor Notion
taking back the mirror's own rendering of every body changes a byte or sends a
write.
"""

from __future__ import annotations

import os
from pathlib import Path

from notion_mirror.demo import seed_demo
from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.engine import sync
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, tree

WRITES = ("PATCH", "DELETE", "POST /v1/pages")


def _files(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree(root).items() if not k.startswith(".notion-mirror")}


def _respace(body: str) -> str:
    """Double every blank line outside code fences (inside them, blank lines are content)."""
    out: list[str] = []
    fenced = False
    for line in body.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        out.append(line)
        if not line.strip() and not fenced:
            out.append("")
    return "\n".join(out)


def _writes(api: NotionAPI) -> list[str]:
    return [k for k, n in api.stats()["requests"].items() if n and k.startswith(WRITES)]


def test_pull_push_pull_is_a_fixpoint_over_the_demo_corpus(
    tmp_path: Path, emulator: EmulatorHandle
) -> None:
    ids = seed_demo(emulator.base_url, emulator.token, emulator.root_page_id, sleep=lambda s: None)
    api = NotionAPI(emulator)
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        root = tmp_path / "m"
        track(client, ids.database_id, root)
        api.advance_clock(120)
        assert sync(open_mirror(root), client).converged
        pulled = _files(root)
        pages = [k for k in pulled if k.endswith(".md")]
        assert len(pages) >= 40

        # 1. Touch every file (same bytes, new mtime): read, nothing sent.
        api.reset_stats()
        for name in pages:
            os.utime(root / name, None)
        assert sync(open_mirror(root), client).converged
        assert _writes(api) == []
        assert _files(root) == pulled

        # 2. Notion takes back the mirror's rendering of every writable body:
        #    the next pull changes no byte.
        with open_mirror(root).open_store() as store:
            bodies = {b.page_id: b.body for b in store.pages() if b.body_writable}
        for page_id, body in bodies.items():
            api.replace_body(page_id, body)
        api.advance_clock(120)
        sync(open_mirror(root), client)
        api.advance_clock(120)
        api.reset_stats()
        assert sync(open_mirror(root), client).converged
        assert _writes(api) == []
        fresh = tmp_path / "fresh"  # after the writes: their edit times are in the files
        track(client, ids.database_id, fresh)
        expected = _files(fresh)
        now = _files(root)
        changed = sorted(k for k in expected if now.get(k) != expected[k])
        if changed:
            import difflib

            first = changed[0]
            diff = "".join(
                difflib.unified_diff(
                    expected[first].decode().splitlines(True), now[first].decode().splitlines(True)
                )
            )
            raise AssertionError(f"not a fixpoint: {changed[:5]}\n{diff}")
        # 3. Re-space every body (blank lines doubled): canonically the same.
        api.reset_stats()
        for name in pages:
            text = (root / name).read_text(encoding="utf-8")
            head, sep, body = text.partition("\n---\n")
            spaced = _respace(body)
            (root / name).write_text(head + sep + spaced, encoding="utf-8")
        report = sync(open_mirror(root), client)
        assert report.converged, [p.to_json() for p in report.pages if p.blocked]
        assert _writes(api) == [], "a formatting-only change was sent"

    finally:
        client.close()
        api.close()
