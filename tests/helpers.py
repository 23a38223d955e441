"""Test helpers that act as "someone else editing Notion": raw HTTP to the emulator.

Deliberately independent of notion_mirror's own client, so a client bug cannot
hide itself in the test setup.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

from notion_mirror.testing import EmulatorHandle

ALL_TYPES_SCHEMA: dict[str, Any] = {
    "Name": {"title": {}},
    "Notes": {"rich_text": {}},
    "Estimate": {"number": {"format": "number"}},
    "Priority": {"select": {"options": [{"name": "Low"}, {"name": "High"}]}},
    "Tags": {"multi_select": {"options": [{"name": "backend"}, {"name": "urgent"}]}},
    "Status": {"status": {}},
    "Due": {"date": {}},
    "Owner": {"people": {}},
    "Attachments": {"files": {}},
    "Done": {"checkbox": {}},
    "Link": {"url": {}},
    "Contact": {"email": {}},
    "Phone": {"phone_number": {}},
    "Effort": {"formula": {"expression": 'prop("Estimate") * 2'}},
    "Created": {"created_time": {}},
    "Edited": {"last_edited_time": {}},
    "Task ID": {"unique_id": {"prefix": "T"}},
}


def title(text: str) -> dict[str, Any]:
    return {"title": [{"type": "text", "text": {"content": text}}]}


class NotionAPI:
    """A thin raw-HTTP client for the emulator (the "remote side" in tests)."""

    def __init__(self, emulator: EmulatorHandle) -> None:
        self.emulator = emulator
        self.http = httpx.Client(
            base_url=emulator.base_url,
            headers={
                "Authorization": f"Bearer {emulator.token}",
                "Notion-Version": "2026-03-11",
            },
            timeout=30,
        )

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        resp = self.http.request(method, path, json=body)
        assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json()

    # -- setup -----------------------------------------------------------------

    def create_data_source(
        self, properties: dict[str, Any] | None = None, name: str = "Tasks"
    ) -> tuple[str, str]:
        db = self.call(
            "POST",
            "/v1/databases",
            {
                "parent": {"type": "page_id", "page_id": self.emulator.root_page_id},
                "title": [{"type": "text", "text": {"content": name}}],
                "initial_data_source": {"properties": properties or {"Name": {"title": {}}}},
            },
        )
        return db["id"], db["data_sources"][0]["id"]

    def add_page(
        self, ds_id: str, properties: dict[str, Any], markdown: str | None = None
    ) -> str:
        body: dict[str, Any] = {"parent": {"data_source_id": ds_id}, "properties": properties}
        if markdown is not None:
            body["markdown"] = markdown
        return self.call("POST", "/v1/pages", body)["id"]

    def person_id(self) -> str:
        users = self.call("GET", "/v1/users")["results"]
        return next(u["id"] for u in users if u["type"] == "person")

    # -- remote edits ----------------------------------------------------------

    def update(self, page_id: str, properties: dict[str, Any]) -> Any:
        return self.call("PATCH", f"/v1/pages/{page_id}", {"properties": properties})

    def replace_body(self, page_id: str, markdown: str) -> Any:
        return self.call(
            "PATCH",
            f"/v1/pages/{page_id}/markdown",
            {"type": "replace_content", "replace_content": {"new_str": markdown}},
        )

    def trash(self, page_id: str) -> Any:
        return self.call("PATCH", f"/v1/pages/{page_id}", {"in_trash": True})

    def update_schema(self, ds_id: str, properties: dict[str, Any]) -> Any:
        return self.call("PATCH", f"/v1/data_sources/{ds_id}", {"properties": properties})

    # -- admin -------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        return self.call("GET", "/__emulator/stats")

    def reset_stats(self) -> None:
        self.call("POST", "/__emulator/stats/reset")

    def advance_clock(self, seconds: float) -> None:
        self.call("POST", "/__emulator/clock", {"advance_seconds": seconds})

    def payload_limit(self, limit: int | None) -> None:
        """Notion's 500 KB request limit (``None`` lifts it: seeding values only
        Notion's UI could make)."""
        self.call("POST", "/__emulator/payload-limit", {"bytes": limit})


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except the private state, as bytes."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".notion-mirror"]
        for name in filenames:
            path = Path(dirpath) / name
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Like :func:`tree` but with mtimes, to prove files were not rewritten."""
    return {rel: ((root / rel).stat().st_mtime_ns, data) for rel, data in tree(root).items()}


def written_by_tool(
    root: Path,
    store: Any,
    rel: str,
    data: bytes,
    *,
    page_id: str | None = None,
    title: str | None = None,
) -> int:
    """Write ``data`` at ``root/rel`` and record it in ``store`` (a ``StateStore``) as the
    tool's own write of a live page, fingerprint included, as materialising does.
    Returns the file's ``st_mtime_ns``."""
    from notion_mirror.store import PageBase
    from notion_mirror.sync.materialize import hash_bytes

    (root / rel).write_bytes(data)
    st = (root / rel).stat()
    store.put_page(
        PageBase(
            page_id=page_id or f"id-{rel}",
            path=rel,
            title=rel if title is None else title,
            url="u",
            last_edited_time="t",
            observed_minute="m",
            file_hash=hash_bytes(data),
            file_size=st.st_size,
            file_mtime_ns=st.st_mtime_ns,
        )
    )
    return st.st_mtime_ns
