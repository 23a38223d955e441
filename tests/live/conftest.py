"""The ``notion`` fixture: the same scenarios against the emulator (always) and
against real Notion (only with credentials).

With ``NOTION_API_TOKEN`` and ``NOTION_MIRROR_LIVE_PARENT_PAGE_ID`` set, each
test creates its own database under that page, records every object it
creates (databases, pages, pages the mirror created from new files) and
trashes them all at the end, even when the test fails. Without them the
``live`` variant is skipped with the reason; the ``emulator`` variant runs
the same code paths in CI.

Remote-side setup and checks use raw HTTP (:class:`Remote`), independent of
notion-mirror's own client, so a client bug cannot hide itself in the setup.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest

from tests.e2e.test_cli_pull import base_env

TOKEN_ENV = "NOTION_API_TOKEN"
PARENT_ENV = "NOTION_MIRROR_LIVE_PARENT_PAGE_ID"
SKIP_REASON = "needs NOTION_API_TOKEN and NOTION_MIRROR_LIVE_PARENT_PAGE_ID"
NOTION_VERSION = "2026-03-11"
LIVE_BASE_URL = "https://api.notion.com"

T = TypeVar("T")


def live_credentials() -> tuple[str, str] | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    parent = os.environ.get(PARENT_ENV, "").strip()
    return (token, parent) if token and parent else None


@dataclass
class Remote:
    """Someone else editing Notion: raw HTTP, with every created object recorded."""

    kind: str  # "emulator" | "live"
    base_url: str
    token: str
    parent_page_id: str
    http: httpx.Client = field(init=False, repr=False)
    created_pages: list[str] = field(default_factory=list)
    created_databases: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}", "Notion-Version": NOTION_VERSION},
            timeout=60,
        )

    @property
    def live(self) -> bool:
        return self.kind == "live"

    def __repr__(self) -> str:  # never the token
        return f"Remote({self.kind})"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        for _attempt in range(8):
            resp = self.http.request(method, path, json=body)
            retryable = resp.status_code == 429 or (
                method == "GET" and resp.status_code in (502, 503, 504)
            )
            if retryable:
                time.sleep(float(resp.headers.get("retry-after") or 1))
                continue
            assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text[:500]}"
            return resp.json()
        raise AssertionError(f"{method} {path}: still rate limited")

    def env(self) -> dict[str, str]:
        """The environment for a CLI subprocess pointed at this Notion."""
        env = base_env()
        env[TOKEN_ENV] = self.token
        if not self.live:
            env["NOTION_API_BASE_URL"] = self.base_url
            env["NOTION_MIRROR_RATE_LIMIT"] = "50"  # the emulator has no limit to respect
        return env

    # -- creating (recorded) ----------------------------------------------------

    def create_database(self, name: str, properties: dict[str, Any]) -> tuple[str, str]:
        db = self.call(
            "POST",
            "/v1/databases",
            {
                "parent": {"type": "page_id", "page_id": self.parent_page_id},
                "title": [{"type": "text", "text": {"content": name}}],
                "initial_data_source": {"properties": properties},
            },
        )
        self.created_databases.append(db["id"])
        return db["id"], db["data_sources"][0]["id"]

    def add_page(self, ds_id: str, properties: dict[str, Any], markdown: str) -> str:
        page = self.call(
            "POST",
            "/v1/pages",
            {
                "parent": {"type": "data_source_id", "data_source_id": ds_id},
                "properties": properties,
                "markdown": markdown,
            },
        )
        self.created_pages.append(page["id"])
        return page["id"]

    def adopt(self, page_id: str) -> None:
        """Record a page someone else (the mirror) created, for the cleanup."""
        if page_id not in self.created_pages:
            self.created_pages.append(page_id)

    # -- reading and editing ----------------------------------------------------

    def page(self, page_id: str) -> dict[str, Any]:
        return self.call("GET", f"/v1/pages/{page_id}")

    def markdown(self, page_id: str) -> str:
        return self.call("GET", f"/v1/pages/{page_id}/markdown")["markdown"]

    def update(self, page_id: str, properties: dict[str, Any]) -> Any:
        return self.call("PATCH", f"/v1/pages/{page_id}", {"properties": properties})

    def query(self, ds_id: str) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        body: dict[str, Any] = {"page_size": 100}
        while True:
            res = self.call("POST", f"/v1/data_sources/{ds_id}/query", body)
            results += res["results"]
            if not res.get("has_more"):
                return results
            body["start_cursor"] = res["next_cursor"]

    def wait_for(self, check: Callable[[], T], what: str, timeout: float = 60) -> T:
        """``check()`` until it returns something truthy. The emulator is
        consistent at once; real Notion's queries may lag a few seconds."""
        deadline = time.monotonic() + (timeout if self.live else 0)
        while True:
            value = check()
            if value or time.monotonic() >= deadline:
                assert value, f"{self.kind}: timed out waiting for {what}"
                return value
            time.sleep(2)

    # -- cleanup ----------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Trash every recorded object (pages first, then databases); return failures."""
        failures = []
        for page_id in reversed(self.created_pages):
            failures += self._trash(f"/v1/pages/{page_id}")
        for db_id in reversed(self.created_databases):
            failures += self._trash(f"/v1/databases/{db_id}")
        self.http.close()
        return failures

    def _trash(self, path: str) -> list[str]:
        try:
            resp = self.http.patch(path, json={"in_trash": True})
            if resp.status_code == 429:
                time.sleep(float(resp.headers.get("retry-after") or 1))
                resp = self.http.patch(path, json={"in_trash": True})
        except httpx.HTTPError as exc:
            return [f"{path}: {type(exc).__name__}"]
        # Already trashed (e.g. with its database, or by the test) is fine.
        if resp.status_code < 300 or resp.status_code in (400, 404):
            return []
        return [f"{path}: {resp.status_code}"]


@pytest.fixture(params=["emulator", pytest.param("live", marks=pytest.mark.live)])
def notion(request: pytest.FixtureRequest) -> Iterator[Remote]:
    """A Notion to run a scenario against, cleaned up afterwards."""
    if request.param == "emulator":
        handle = request.getfixturevalue("emulator")
        remote = Remote("emulator", handle.base_url, handle.token, handle.root_page_id)
    else:
        creds = live_credentials()
        if creds is None:
            pytest.skip(SKIP_REASON)
        token, parent = creds
        remote = Remote("live", LIVE_BASE_URL, token, parent)
    try:
        yield remote
    finally:
        failures = remote.cleanup()
        assert not failures, f"could not trash everything the test created: {failures}"
