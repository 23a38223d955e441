"""Pin what ``notion_mirror.notion`` exports, so changes are deliberate."""

from __future__ import annotations

import dataclasses

import notion_mirror.notion as notion
from notion_mirror.notion import testing

EXPECTED = {
    "DEFAULT_BASE_URL",
    "NOTION_VERSION",
    "ClientStats",
    "DataSource",
    "DataSourceRef",
    "Database",
    "MalformedResponse",
    "NotionClient",
    "Page",
    "PageMarkdown",
    "PropertySchema",
    "QueryPage",
    "RateLimiter",
    "RetryPolicy",
    "User",
    "extract_id",
    "normalize_id",
    "parse_timestamp",
    "plain_text",
    "shared_limiter",
}


def test_all_is_pinned_and_importable() -> None:
    assert set(notion.__all__) == EXPECTED
    for name in notion.__all__:
        assert getattr(notion, name) is not None
    assert testing.__all__ == ["FakeClock"]


def test_models_are_frozen_and_keep_raw() -> None:
    for model in (
        notion.Page,
        notion.Database,
        notion.DataSource,
        notion.User,
        notion.PageMarkdown,
        notion.QueryPage,
    ):
        assert dataclasses.is_dataclass(model)
        params = model.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen
        assert "raw" in {f.name for f in dataclasses.fields(model)}


def test_client_surface() -> None:
    for name in (
        "users_me",
        "list_users",
        "retrieve_database",
        "create_database",
        "retrieve_data_source",
        "update_data_source",
        "query_data_source",
        "iter_query",
        "create_page",
        "retrieve_page",
        "update_page",
        "trash_page",
        "restore_page",
        "retrieve_page_property",
        "iter_page_property_items",
        "retrieve_markdown",
        "update_markdown_content",
        "replace_markdown",
        "insert_markdown",
        "search",
        "close",
        "request",
        "__enter__",
        "__exit__",
    ):
        assert callable(getattr(notion.NotionClient, name)), name
