"""The API surface: (method, route template) -> handler, and path matching."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from notion_mirror.emulator import data_sources, markdown, pages, users_search
from notion_mirror.emulator.errors import invalid_url
from notion_mirror.emulator.request import ApiRequest
from notion_mirror.emulator.workspace import Workspace

Handler = Callable[[Workspace, ApiRequest], dict[str, Any]]

ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/v1/users/me"): users_search.users_me,
    ("GET", "/v1/users"): users_search.list_users,
    ("GET", "/v1/users/{user_id}"): users_search.get_user,
    ("POST", "/v1/databases"): data_sources.create_database,
    ("GET", "/v1/databases/{database_id}"): data_sources.get_database,
    ("PATCH", "/v1/databases/{database_id}"): data_sources.update_database,
    ("POST", "/v1/data_sources"): data_sources.create_data_source,
    ("GET", "/v1/data_sources/{data_source_id}"): data_sources.get_data_source,
    ("PATCH", "/v1/data_sources/{data_source_id}"): data_sources.update_data_source,
    ("POST", "/v1/data_sources/{data_source_id}/query"): data_sources.query_data_source,
    ("POST", "/v1/pages"): pages.create_page,
    ("GET", "/v1/pages/{page_id}"): pages.get_page,
    ("PATCH", "/v1/pages/{page_id}"): pages.update_page,
    ("GET", "/v1/pages/{page_id}/properties/{property_id}"): pages.get_property_item,
    ("GET", "/v1/pages/{page_id}/markdown"): markdown.get_markdown,
    ("PATCH", "/v1/pages/{page_id}/markdown"): markdown.patch_markdown,
    ("POST", "/v1/search"): users_search.search,
    ("DELETE", "/v1/blocks/{block_id}"): pages.delete_block,
}

# Most specific first, so "/v1/users/me" wins over "/v1/users/{user_id}".
_TEMPLATES = sorted({t for _, t in ROUTES}, key=lambda t: (t.count("{"), -len(t)))
WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})
# Searching and querying use POST but change nothing: they are reads for retry purposes.
READ_ONLY_POSTS = frozenset({"/v1/data_sources/{data_source_id}/query", "/v1/search"})


def _match(template: str, segments: list[str]) -> dict[str, str] | None:
    parts = template.strip("/").split("/")
    if len(parts) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, seg in zip(parts, segments, strict=True):
        if part.startswith("{"):
            if not seg:
                return None
            # property ids are URL-encoded on the wire and must stay as sent
            params[part[1:-1]] = seg if part == "{property_id}" else unquote(seg)
        elif part != seg:
            return None
    return params


def resolve(method: str, raw_path: str) -> tuple[str, dict[str, str], Handler]:
    """(template, params, handler) or ``invalid_request_url`` (also for a wrong method)."""
    segments = raw_path.strip("/").split("/")
    for template in _TEMPLATES:
        params = _match(template, segments)
        if params is None:
            continue
        handler = ROUTES.get((method, template))
        if handler is not None:
            return template, params, handler
    raise invalid_url()


def is_write(method: str, template: str) -> bool:
    return method in WRITE_METHODS and template not in READ_ONLY_POSTS
