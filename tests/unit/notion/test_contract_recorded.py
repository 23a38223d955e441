"""Every real recorded Notion response (2025-09-03 set) parses without losing
what the product uses.

Each file in ``fixtures/notion-recorded/*.json`` is replayed: success bodies
through the models, error responses through a client on a mock transport so
the real error mapping runs. Object kinds the client does not model are
left out by an explicit list, so a new kind in the fixtures fails loudly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from notion_mirror.errors import (
    NotFoundError,
    NotionError,
    NotionValidationError,
    UnauthorizedError,
)
from notion_mirror.notion import (
    Database,
    DataSource,
    NotionClient,
    Page,
    PageMarkdown,
    QueryPage,
    User,
    normalize_id,
    parse_timestamp,
    plain_text,
)
from notion_mirror.notion.models import parse_result

RECORDED = Path(__file__).resolve().parents[3] / "fixtures" / "notion-recorded"
FILES = sorted(RECORDED.glob("*.json"))

# (object, list type) the client does not model: blocks (DELETE /v1/blocks
# returns one), block children lists, async tasks, the templates list (no
# "object" key at all).
NOT_MODELLED = {("block", None), ("list", "block"), ("async_task", None), (None, None)}
ERROR_CLASSES = {400: NotionValidationError, 401: UnauthorizedError, 404: NotFoundError}


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _kind(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, dict):
        return (None, None)
    obj = body.get("object")
    return (obj, body.get("type") if obj == "list" else None)


def test_fixture_set_is_present_and_versioned() -> None:
    assert len(FILES) >= 150
    for path in FILES:
        assert _load(path)["request"]["headers"]["Notion-Version"] == "2025-09-03"


def _check_page(page: Page, raw: dict) -> None:
    assert page.id == raw["id"] == normalize_id(raw["id"])
    assert page.created_time == parse_timestamp(raw["created_time"])
    assert page.last_edited_time == parse_timestamp(raw["last_edited_time"])
    assert page.created_time.tzinfo is not None
    assert page.in_trash == raw["in_trash"]
    assert page.url == raw["url"]
    parent = raw["parent"]
    assert page.data_source_id == parent.get("data_source_id")
    assert page.database_id == parent.get("database_id")
    assert page.parent_page_id == parent.get("page_id")
    assert dict(page.properties) == raw["properties"]
    assert page.raw == raw


def _check_data_source(ds: DataSource, raw: dict) -> None:
    assert ds.id == raw["id"]
    assert ds.title == plain_text(raw["title"])
    assert ds.database_id == raw["parent"].get("database_id")
    assert ds.in_trash == raw.get("in_trash", raw.get("archived"))
    assert list(ds.properties) == list(raw["properties"])
    for name, prop in ds.properties.items():
        src = raw["properties"][name]
        assert (prop.id, prop.name, prop.type) == (src["id"], src["name"], src["type"])
        assert prop.config == src[src["type"]]
        assert prop.description == src.get("description")


def _check_user(user: User, raw: dict) -> None:
    assert user.id == raw["id"]
    assert user.type == raw.get("type")
    assert user.name == raw.get("name")
    assert user.email == (raw.get("person") or {}).get("email")


def _check_success(body: dict, kind: tuple[str | None, str | None]) -> None:
    obj, _list_type = kind
    if obj == "page":
        _check_page(Page.from_api(body), body)
    elif obj == "database":
        db = Database.from_api(body)
        assert db.id == body["id"]
        assert db.title == plain_text(body["title"])
        assert [(r.id, r.name) for r in db.data_sources] == [
            (d["id"], d["name"]) for d in body["data_sources"]
        ]
        assert db.url == body.get("url")
        assert db.in_trash == body["in_trash"]
        assert db.parent_page_id == body["parent"].get("page_id")
        parse_timestamp(body["created_time"])  # the `+00:00` form
    elif obj == "data_source":
        _check_data_source(DataSource.from_api(body), body)
    elif obj == "user":
        _check_user(User.from_api(body), body)
    elif obj == "page_markdown":
        md = PageMarkdown.from_api(body)
        assert (md.id, md.markdown, md.truncated) == (
            body["id"],
            body["markdown"],
            body["truncated"],
        )
        assert list(md.unknown_block_ids) == body["unknown_block_ids"]
    elif kind == ("list", "page_or_data_source"):
        page = QueryPage.from_api(body)
        assert page.next_cursor == body["next_cursor"]
        assert page.has_more == body["has_more"]
        assert len(page.results) + len(page.others) == len(body["results"])
        for item, raw in zip(
            page.results, [r for r in body["results"] if r["object"] == "page"], strict=True
        ):
            _check_page(item, raw)
        for raw in body["results"]:
            parsed = parse_result(raw)
            if raw["object"] == "data_source":
                _check_data_source(parsed, raw)
    elif kind == ("list", "user"):
        assert body["results"], "recorded user lists are not empty"
        for raw in body["results"]:
            _check_user(User.from_api(raw), raw)
        assert "next_cursor" in body
    elif kind == ("list", "property_item"):
        items = [r for r in body["results"] if r["object"] == "property_item"]
        assert items and all(i["id"] == body["property_item"]["id"] for i in items)
        assert body["property_item"]["next_url"] is None or body["has_more"]
    else:  # pragma: no cover - guarded by the caller
        raise AssertionError(f"unhandled kind {kind}")


def _replay_error(record: dict) -> NotionError:
    status = record["response"]["status"]
    body = record["response"]["body"]
    client = NotionClient(
        "recorded-token",
        base_url="https://api.notion.com",
        rate_limit=None,
        max_attempts=1,
        clock=lambda: 0.0,
        sleep=lambda s: None,
        transport=httpx.MockTransport(lambda req: httpx.Response(status, json=body)),
    )
    with client, pytest.raises(NotionError) as info:
        client.request(record["request"]["method"], record["request"]["path"].split("?")[0])
    return info.value


# Unmodelled kinds are left out at collection (not skipped at run time), and
# test_every_kind_is_handled_or_explicitly_skipped pins that list.
MODELLED_FILES = [p for p in FILES if _kind(_load(p)["response"]["body"]) not in NOT_MODELLED]


@pytest.mark.parametrize("path", MODELLED_FILES, ids=[p.name for p in MODELLED_FILES])
def test_recorded_response_parses(path: Path) -> None:
    record = _load(path)
    body = record["response"]["body"]
    kind = _kind(body)
    if kind[0] == "error":
        err = _replay_error(record)
        assert type(err) is ERROR_CLASSES[body["status"]]
        assert err.status == record["response"]["status"] == body["status"]
        assert err.code == body["code"]
        assert err.request_id == body["request_id"]
        assert err.message == body["message"]
        assert err.additional_data == body.get("additional_data", {})
        return
    assert record["response"]["status"] == 200
    _check_success(body, kind)


def test_every_kind_is_handled_or_explicitly_skipped() -> None:
    handled = {
        ("page", None),
        ("database", None),
        ("data_source", None),
        ("user", None),
        ("page_markdown", None),
        ("error", None),
        ("list", "page_or_data_source"),
        ("list", "user"),
        ("list", "property_item"),
    }
    kinds = {_kind(_load(p)["response"]["body"]) for p in FILES}
    assert kinds <= handled | NOT_MODELLED, kinds - handled - NOT_MODELLED
    assert handled <= kinds, "a modelled kind lost its recorded example"
