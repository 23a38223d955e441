"""Seed the "Engineering tasks" demo into a Notion API (the emulator or real Notion).

The fixtures under ``fixtures/demo/`` are written in Notion's own request
shapes, with a few placeholders for ids that only exist once the seed runs:

* ``"@projects"`` — the Projects data source id (the Tasks relation target);
* ``"@project:N"`` — the N-th row of ``projects.json``;
* ``"@person:N"`` — the N-th person returned by ``GET /v1/users`` (modulo the
  number of people, so a one-person workspace still gets owners).

Only documented request shapes are used, so the same seed works against
api.notion.com. It is deliberately a plain, sequential httpx script: it does
not share the product's client, so a bug there cannot hide in the demo data.

Limitations: a failed seed leaves whatever it already created behind (there is
no rollback in Notion's API); seeding twice creates a second copy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from notion_mirror.errors import (
    AmbiguousOutcomeError,
    NotFoundError,
    NotionError,
    NotionValidationError,
    PermanentError,
    RestrictedError,
    TransientError,
    UnauthorizedError,
)

__all__ = [
    "DEFAULT_FIXTURES_DIR",
    "NOTION_VERSION",
    "DemoFixtures",
    "DemoIds",
    "load_demo_fixtures",
    "seed_demo",
]

NOTION_VERSION = "2026-03-11"

# src/notion_mirror/demo/seed.py -> repo root. The fixtures are data for the
# demo and the tests, not package data, so they live beside src/, not in it.
DEFAULT_FIXTURES_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "demo"

_PROJECTS_DS = "@projects"
_PERSON = "@person:"
_PROJECT = "@project:"
_PLACEHOLDER_KEYS = frozenset({"id", "data_source_id"})

# Notion asks for a pause via Retry-After; a 429 means nothing was applied, so
# retrying it is always safe. Other failures are not retried: a 5xx on a create
# may have committed, and a duplicate demo row is worse than a clear error.
_MAX_RATE_LIMIT_RETRIES = 8
_DEFAULT_RETRY_AFTER = 1.0
_MAX_RETRY_AFTER = 60.0


# Marks a placeholder that resolves to nothing (no people in the workspace).
_DROP = object()


@dataclass(frozen=True)
class DemoIds:
    """Ids of everything :func:`seed_demo` created.

    ``page_ids`` follow the order of ``tasks.json``; ``project_page_ids`` the
    order of ``projects.json``.
    """

    database_id: str
    data_source_id: str
    projects_data_source_id: str
    page_ids: tuple[str, ...]
    projects_database_id: str = ""
    project_page_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoFixtures:
    """The demo dataset as loaded from disk, placeholders still in place."""

    schema: dict[str, Any]
    projects: list[dict[str, Any]]
    tasks: list[dict[str, Any]]


def load_demo_fixtures(fixtures_dir: Path | None = None) -> DemoFixtures:
    """Read ``schema.json``, ``projects.json`` and ``tasks.json``."""
    folder = Path(fixtures_dir) if fixtures_dir is not None else DEFAULT_FIXTURES_DIR
    if not folder.is_dir():
        raise FileNotFoundError(f"demo fixtures folder not found: {folder}")

    def read(name: str) -> Any:
        return json.loads((folder / name).read_text(encoding="utf-8"))

    return DemoFixtures(
        schema=read("schema.json"),
        projects=read("projects.json"),
        tasks=read("tasks.json"),
    )


def seed_demo(
    base_url: str,
    token: str,
    parent_page_id: str,
    *,
    fixtures_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> DemoIds:
    """Create the Projects and Engineering tasks databases under a page, with all rows.

    ``base_url`` is the API origin without ``/v1`` (``https://api.notion.com``
    or an emulator's ``base_url``). Raises a :class:`~notion_mirror.errors.NotionError`
    subclass carrying Notion's status, code and message on the first failure.
    ``sleep`` and ``transport`` exist so tests can run rate-limit back-off in
    zero time and talk to an in-process fake.
    """
    fixtures = load_demo_fixtures(fixtures_dir)
    with _Api(base_url, token, sleep, transport) as api:
        people = _person_ids(api)

        # Projects first: the Tasks relation and the "@project:N" rows need its ids.
        ctx = _Context(people=people, projects_ds="", project_ids=[])
        projects_schema = fixtures.schema["projects"]
        projects_db = api.post(
            "/v1/databases", _database_body(parent_page_id, projects_schema, ctx)
        )
        projects_ds = projects_db["data_sources"][0]["id"]
        _add_deferred_properties(api, projects_ds, projects_schema, ctx)

        project_ids = [_create_row(api, projects_ds, row, ctx) for row in fixtures.projects]
        ctx = _Context(people=people, projects_ds=projects_ds, project_ids=project_ids)

        tasks_schema = fixtures.schema["tasks"]
        tasks_db = api.post("/v1/databases", _database_body(parent_page_id, tasks_schema, ctx))
        tasks_ds = tasks_db["data_sources"][0]["id"]
        _add_deferred_properties(api, tasks_ds, tasks_schema, ctx)

        page_ids = [_create_row(api, tasks_ds, row, ctx) for row in fixtures.tasks]

    return DemoIds(
        database_id=tasks_db["id"],
        data_source_id=tasks_ds,
        projects_data_source_id=projects_ds,
        page_ids=tuple(page_ids),
        projects_database_id=projects_db["id"],
        project_page_ids=tuple(project_ids),
    )


# ---------------------------------------------------------------- placeholders


@dataclass(frozen=True)
class _Context:
    people: list[str]
    projects_ds: str
    project_ids: list[str]


def _resolve(value: Any, ctx: _Context) -> Any:
    """Replace placeholders in a request body fragment.

    Only values of ``id`` and ``data_source_id`` keys are placeholders, so text
    content that happens to start with "@" is never rewritten.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _PLACEHOLDER_KEYS and isinstance(item, str) and item.startswith("@"):
                out[key] = _resolve_placeholder(item, ctx)
            else:
                out[key] = _resolve(item, ctx)
        return out
    if isinstance(value, list):
        items = [_resolve(v, ctx) for v in value]
        # A people entry is {"id": "@person:0"}; when it resolves to nothing
        # the whole entry goes, not just its id.
        return [v for v in items if not (isinstance(v, dict) and _DROP in v.values())]
    return value


def _resolve_placeholder(text: str, ctx: _Context) -> Any:
    if text == _PROJECTS_DS:
        if not ctx.projects_ds:
            raise ValueError("the Projects schema cannot refer to its own data source")
        return ctx.projects_ds
    if text.startswith(_PERSON):
        if not ctx.people:
            return _DROP
        return ctx.people[_index(text, _PERSON) % len(ctx.people)]
    if text.startswith(_PROJECT):
        index = _index(text, _PROJECT)
        if index >= len(ctx.project_ids):
            raise ValueError(
                f"demo fixture refers to {text} but projects.json has {len(ctx.project_ids)} rows"
            )
        return ctx.project_ids[index]
    raise ValueError(f"unknown demo placeholder {text!r}")


def _index(text: str, prefix: str) -> int:
    try:
        return int(text[len(prefix) :])
    except ValueError:
        raise ValueError(f"bad demo placeholder {text!r}") from None


# ---------------------------------------------------------------- request bodies


def _database_body(parent_page_id: str, spec: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    immediate = {k: v for k, v in spec["properties"].items() if "rollup" not in v}
    body: dict[str, Any] = {
        "parent": {"type": "page_id", "page_id": parent_page_id},
        "title": [{"type": "text", "text": {"content": spec["title"]}}],
        "initial_data_source": {"properties": _resolve(immediate, ctx)},
    }
    if spec.get("icon"):
        body["icon"] = {"type": "emoji", "emoji": spec["icon"]}
    return body


def _add_deferred_properties(
    api: _Api, data_source_id: str, spec: dict[str, Any], ctx: _Context
) -> None:
    # A rollup names its relation property, which must already exist; adding
    # rollups in a second, documented schema PATCH avoids relying on Notion
    # resolving names within a single create request.
    deferred = {k: v for k, v in spec["properties"].items() if "rollup" in v}
    if deferred:
        api.patch(f"/v1/data_sources/{data_source_id}", {"properties": _resolve(deferred, ctx)})


def _create_row(api: _Api, data_source_id: str, row: dict[str, Any], ctx: _Context) -> str:
    body: dict[str, Any] = {
        "parent": {"type": "data_source_id", "data_source_id": data_source_id},
        "properties": _resolve(row["properties"], ctx),
    }
    # Sending "" would be a no-op at best; an empty body is simply no content.
    if row.get("markdown"):
        body["markdown"] = row["markdown"]
    page = api.post("/v1/pages", body)
    return str(page["id"])


def _person_ids(api: _Api) -> list[str]:
    try:
        users = list(api.paginate_get("/v1/users"))
    except RestrictedError:
        # Integrations without the user-information capability (and personal
        # access tokens) cannot list users; the demo then has no owners.
        return []
    persons = [u for u in users if u.get("type") == "person"]
    # The API promises no order; sorting keeps "@person:0" the same person
    # across runs against the same workspace.
    persons.sort(key=lambda u: (u.get("name") or "", u["id"]))
    return [u["id"] for u in persons]


# ---------------------------------------------------------------- HTTP


class _Api:
    """Just enough HTTP for seeding: auth, version, 429 back-off, typed errors."""

    def __init__(
        self,
        base_url: str,
        token: str,
        sleep: Callable[[float], None],
        transport: httpx.BaseTransport | None,
    ) -> None:
        origin = base_url.rstrip("/")
        if origin.endswith("/v1"):
            origin = origin[: -len("/v1")]
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=origin,
            headers={
                "Authorization": f"Bearer {token}",
                "Notion-Version": NOTION_VERSION,
            },
            timeout=httpx.Timeout(60.0),
            transport=transport,
        )

    def __enter__(self) -> _Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._send("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", path, body=body)

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send("PATCH", path, body=body)

    def paginate_get(self, path: str) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"page_size": 100}
            if cursor:
                params["start_cursor"] = cursor
            page = self.get(path, params)
            yield from page.get("results", [])
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        for _attempt in range(_MAX_RATE_LIMIT_RETRIES + 1):
            try:
                response = self._http.request(method, path, json=body, params=params)
            except httpx.TransportError as exc:
                # No response means a write may or may not have landed.
                kind = TransientError if method == "GET" else AmbiguousOutcomeError
                raise kind(
                    f"demo seed: {type(exc).__name__}: {exc}", method=method, route=path
                ) from exc
            if response.status_code == 429:
                self._sleep(_retry_after(response))
                continue
            if response.is_success:
                return dict(response.json())
            raise _error_from(response, method, path)
        raise _error_from(response, method, path)


def _retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", _DEFAULT_RETRY_AFTER))
    except ValueError:
        seconds = _DEFAULT_RETRY_AFTER
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)


def _error_from(response: httpx.Response, method: str, path: str) -> NotionError:
    status = response.status_code
    code: str | None = None
    request_id: str | None = response.headers.get("x-notion-request-id")
    message = response.text[:500] or response.reason_phrase
    try:
        payload = response.json()
    except ValueError:
        payload = None
    # Edge proxies answer with HTML or plain text; only trust a Notion error body.
    if isinstance(payload, dict) and payload.get("object") == "error":
        code = payload.get("code")
        message = str(payload.get("message", message))
        request_id = payload.get("request_id", request_id)
    kind: type[NotionError]
    if status == 400:
        kind = NotionValidationError
    elif status == 401:
        kind = UnauthorizedError
    elif status == 403:
        kind = RestrictedError
    elif status == 404:
        kind = NotFoundError
    elif status == 429 or status >= 500:
        kind = TransientError
    else:
        kind = PermanentError
    return kind(
        f"demo seed failed: {message}",
        status=status,
        code=code,
        request_id=request_id,
        method=method,
        route=path,
    )
