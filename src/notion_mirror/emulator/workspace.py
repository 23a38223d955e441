"""The emulator's store: one workspace of users, pages, databases and data sources.

State is plain JSON-able dicts so it persists as one file. Handlers run on the
server's event loop while tests poke the same object from their own thread,
hence the re-entrant lock around every read-modify-write.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from notion_mirror.emulator import ids
from notion_mirror.emulator.clock import Clock, floor_minute
from notion_mirror.emulator.errors import ApiError, not_found
from notion_mirror.emulator.values import ValueContext

FORMAT_VERSION = 1
INTEGRATION_NAME = "notion-mirror-emulator"
# A page with a page parent has a single title property keyed "title".
PAGE_SCHEMA: dict[str, dict] = {
    "title": {"id": "title", "name": "title", "description": None, "type": "title", "title": {}}
}


def _person(name: str, email: str) -> dict[str, Any]:
    return {
        "object": "user",
        "id": ids.new_uuid(),
        "name": name,
        "avatar_url": None,
        "type": "person",
        "person": {"email": email},
    }


def new_state(now: datetime) -> dict[str, Any]:
    workspace_id = ids.new_uuid()
    bot = {
        "object": "user",
        "id": ids.new_uuid(),
        "name": INTEGRATION_NAME,
        "avatar_url": None,
        "type": "bot",
        "bot": {
            "owner": {"type": "workspace", "workspace": True},
            "workspace_name": "Emulated workspace",
            "workspace_id": workspace_id,
            "workspace_limits": {"max_file_upload_size_in_bytes": 5242880},
        },
    }
    people = [
        _person("Ada Lovelace", "ada@example.com"),
        _person("Grace Hopper", "grace@example.com"),
        _person("Alan Turing", "alan@example.com"),
    ]
    root_id = ids.new_uuid()
    stamp = floor_minute(now)
    root = {
        "id": root_id,
        "parent": {"type": "workspace", "workspace": True},
        "created_time": stamp,
        "last_edited_time": stamp,
        "created_by": bot["id"],
        "last_edited_by": bot["id"],
        "created_at": now.timestamp(),
        "icon": None,
        "cover": None,
        "in_trash": False,
        "is_archived": False,
        "is_locked": False,
        "values": {
            "title": [
                {
                    "type": "text",
                    "text": {"content": "Emulator root", "link": None},
                    "annotations": {
                        "bold": False,
                        "italic": False,
                        "strikethrough": False,
                        "underline": False,
                        "code": False,
                        "color": "default",
                    },
                    "plain_text": "Emulator root",
                    "href": None,
                }
            ]
        },
        "markdown": "",
        "truncated": False,
        "unknown_block_ids": [],
        "unique_number": None,
    }
    return {
        "format": FORMAT_VERSION,
        "bot_id": bot["id"],
        "users": {u["id"]: u for u in [bot, *people]},
        "root_page_id": root_id,
        "pages": {root_id: root},
        "databases": {},
        "data_sources": {},
    }


class Workspace:
    """State plus the lookups every handler needs; mutate only under ``lock``."""

    def __init__(self, state: dict[str, Any], clock: Clock, *, query_lag: float = 0.0) -> None:
        self.state = state
        self.clock = clock
        self.query_lag = query_lag
        self.lock = threading.RLock()
        self.dirty = False
        self.base_url = ""

    # -- identity --------------------------------------------------------------

    @property
    def bot_id(self) -> str:
        return self.state["bot_id"]

    @property
    def root_page_id(self) -> str:
        return self.state["root_page_id"]

    @property
    def pages(self) -> dict[str, dict]:
        return self.state["pages"]

    @property
    def databases(self) -> dict[str, dict]:
        return self.state["databases"]

    @property
    def data_sources(self) -> dict[str, dict]:
        return self.state["data_sources"]

    @property
    def users(self) -> dict[str, dict]:
        return self.state["users"]

    def now(self) -> datetime:
        return self.clock.now()

    def stamp(self) -> str:
        return floor_minute(self.clock.now())

    def touched(self) -> None:
        self.dirty = True

    # -- lookups that answer 404 -------------------------------------------------

    def missing(self, kind: str, object_id: str) -> ApiError:
        return not_found(kind, object_id, integration=INTEGRATION_NAME, integration_id=self.bot_id)

    def page(self, raw_id: str) -> dict[str, Any]:
        pid = ids.parse_id(raw_id)
        if pid is None:
            raise self._bad_path_id("page_id", raw_id)
        page = self.pages.get(pid)
        if page is None:
            raise self.missing("page", pid)
        return page

    def database(self, raw_id: str) -> dict[str, Any]:
        did = ids.parse_id(raw_id)
        if did is None:
            raise self._bad_path_id("database_id", raw_id)
        db = self.databases.get(did)
        if db is None:
            raise self.missing("database", did)
        return db

    def data_source(self, raw_id: str) -> dict[str, Any]:
        dsid = ids.parse_id(raw_id)
        if dsid is None:
            raise self._bad_path_id("data_source_id", raw_id)
        ds = self.data_sources.get(dsid)
        if ds is None:
            raise self.missing("data_source", dsid)
        return ds

    @staticmethod
    def _bad_path_id(name: str, raw: str) -> ApiError:
        return ApiError(
            400,
            "validation_error",
            f'path failed validation: path.{name} should be a valid uuid, instead was `"{raw}"`.',
        )

    # -- page helpers -------------------------------------------------------------

    def schema_of(self, page: dict[str, Any]) -> dict[str, dict]:
        parent = page["parent"]
        if parent["type"] == "data_source_id":
            return self.data_sources[parent["data_source_id"]]["schema"]
        return PAGE_SCHEMA

    def page_meta(self, page: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": page["id"],
            "created_time": page["created_time"],
            "last_edited_time": page["last_edited_time"],
            "created_by": page["created_by"],
            "last_edited_by": page["last_edited_by"],
            "unique_number": page.get("unique_number"),
        }

    def title_of(self, page: dict[str, Any]) -> str:
        schema = self.schema_of(page)
        tid = next((pid for pid, p in schema.items() if p["type"] == "title"), None)
        rich = page["values"].get(tid, []) if tid else []
        return "".join(r.get("plain_text", "") for r in rich or [])

    def bump(self, page: dict[str, Any]) -> None:
        page["last_edited_time"] = self.stamp()
        page["last_edited_by"] = self.bot_id
        self.touched()

    def set_database_trash(self, db: dict[str, Any], in_trash: bool) -> None:
        """A database and its data sources go to the trash (and come back) together."""
        db["in_trash"] = in_trash
        for dsid in db["data_source_ids"]:
            self.data_sources[dsid]["in_trash"] = in_trash
        self.touched()

    def value_context(self) -> ValueContext:
        def page_exists(pid: str) -> bool:
            return pid in self.pages

        def data_source_of(pid: str) -> str | None:
            page = self.pages.get(pid)
            if page and page["parent"]["type"] == "data_source_id":
                return page["parent"]["data_source_id"]
            return None

        def get_page_values(pid: str) -> dict | None:
            page = self.pages.get(pid)
            return page["values"] if page else None

        def schema_of_page(pid: str) -> dict | None:
            page = self.pages.get(pid)
            return self.schema_of(page) if page else None

        def get_page_meta(pid: str) -> dict | None:
            page = self.pages.get(pid)
            return self.page_meta(page) if page else None

        return ValueContext(
            users=self.users,
            page_exists=page_exists,
            data_source_of=data_source_of,
            get_page_values=get_page_values,
            schema_of_page=schema_of_page,
            now=self.clock.now,
            get_page_meta=get_page_meta,
            new_uuid=ids.new_uuid,
            me_id=self.bot_id,
        )

    # -- persistence --------------------------------------------------------------

    def snapshot(self) -> str:
        with self.lock:
            self.dirty = False
            return json.dumps(self.state, ensure_ascii=False, separators=(",", ":"))


def load_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    state = json.loads(path.read_text(encoding="utf-8"))
    if state.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: not an emulator workspace (format {state.get('format')!r})")
    return state


def write_atomic(path: Path, text: str) -> None:
    """temp file + fsync + rename, so a crash leaves the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
