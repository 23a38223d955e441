"""The Notion API client: typed calls over the shared limiter and retry policy.

Usage::

    with NotionClient() as notion:          # token from NOTION_API_TOKEN
        ds = notion.retrieve_data_source(ds_id)
        for page in notion.iter_query(ds.id):
            ...

Every call may raise the :mod:`notion_mirror.errors` ``NotionError`` family;
writes that may or may not have been applied raise ``AmbiguousOutcomeError``
and are never retried here.

Warning: one client is safe to use from several threads; all clients of a
process share one rate limiter per base URL unless given their own.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from notion_mirror import __version__
from notion_mirror.errors import PermanentError, UsageError
from notion_mirror.notion._http import Params, Requester, Secret
from notion_mirror.notion._limiter import (
    DEFAULT_BURST,
    DEFAULT_RATE,
    RateLimiter,
    shared_limiter,
)
from notion_mirror.notion._retry import RetryPolicy
from notion_mirror.notion._stats import ClientStats
from notion_mirror.notion.ids import normalize_id
from notion_mirror.notion.models import (
    Database,
    DataSource,
    MalformedResponse,
    Page,
    PageMarkdown,
    QueryPage,
    User,
    parse_result,
)

__all__ = ["DEFAULT_BASE_URL", "NOTION_VERSION", "NotionClient"]

NOTION_VERSION = "2026-03-11"
DEFAULT_BASE_URL = "https://api.notion.com"
MAX_PAGE_SIZE = 100

RichTextInput = str | Sequence[Mapping[str, Any]]


def _rich_text(value: RichTextInput) -> list[Mapping[str, Any]]:
    if isinstance(value, str):
        return [{"type": "text", "text": {"content": value}}]
    return list(value)


def _page_size(value: int) -> int:
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be within 1..{MAX_PAGE_SIZE}, got {value}")
    return value


class NotionClient:
    """Typed access to the Notion REST API (``Notion-Version: 2026-03-11``).

    ``token`` defaults to ``$NOTION_API_TOKEN`` (then ``$NOTION_TOKEN``) and
    ``base_url`` to ``$NOTION_API_BASE_URL`` (then ``https://api.notion.com``).
    ``rate_limit`` is requests/second (``None``/``0`` disables the steady
    limit), ``burst`` the requests allowed at once; pass ``limiter`` to share
    one explicitly. Failed requests are retried per :class:`RetryPolicy`
    (``max_attempts``, ``max_elapsed``, jittered backoff from ``base_delay`` to
    ``max_delay``; a ``Retry-After`` is honoured by every thread, up to
    ``max_retry_after`` seconds). ``clock``/``sleep``/``rng`` make timing deterministic in
    tests; ``transport`` swaps the HTTP transport (e.g. ``httpx.MockTransport``).
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        rate_limit: float | None = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        limiter: RateLimiter | None = None,
        max_attempts: int = 5,
        max_elapsed: float = 180.0,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        max_retry_after: float = 300.0,
        timeout: float | httpx.Timeout = 60.0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        token = (
            token
            if token is not None
            else (os.environ.get("NOTION_API_TOKEN") or os.environ.get("NOTION_TOKEN"))
        )
        if not token or not token.strip():
            raise UsageError(
                "no Notion API token: set NOTION_API_TOKEN (an internal integration secret, "
                "https://www.notion.so/profile/integrations) or pass token=..."
            )
        base = (base_url or os.environ.get("NOTION_API_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise UsageError(f"Notion base URL must start with http:// or https://: {base!r}")
        self._secret = Secret(token.strip())
        self.base_url = base
        custom_time = clock is not None or sleep is not None
        clock = clock or time.monotonic
        sleep = sleep or time.sleep
        if limiter is None:
            # A fake clock must not leak into the process-wide limiter.
            limiter = (
                RateLimiter(rate_limit, burst, clock=clock, sleep=sleep)
                if custom_time
                else shared_limiter(base, rate_limit, burst)
            )
        self.limiter = limiter
        self.retry_policy = RetryPolicy(
            max_attempts=max_attempts,
            base_delay=base_delay,
            max_delay=max_delay,
            max_elapsed=max_elapsed,
            rng=rng or random.Random(),
            max_retry_after=max_retry_after,
        )
        self.stats = ClientStats()
        self._http = httpx.Client(
            base_url=base,
            transport=transport,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {self._secret.reveal()}",
                "Notion-Version": NOTION_VERSION,
                "User-Agent": f"notion-mirror/{__version__}",
                "Accept": "application/json",
            },
        )
        self._requester = Requester(
            http=self._http,
            secret=self._secret,
            limiter=limiter,
            policy=self.retry_policy,
            clock=clock,
            sleep=sleep,
            stats=self.stats,
        )

    # -- plumbing ---------------------------------------------------------

    def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Params = None,
        body: Any = None,
    ) -> Any:
        """Send one API call by route template; return the parsed JSON.

        The escape hatch for endpoints without a typed method, e.g.
        ``request("GET", "/v1/blocks/{block_id}", path_params={"block_id": i})``.
        """
        return self._requester.request(
            method, route, path_params=path_params, params=params, body=body
        )

    def _parse(self, parser: Callable[[Any], Any], raw: Any, method: str, route: str) -> Any:
        try:
            return parser(raw)
        except MalformedResponse as exc:
            request_id = raw.get("request_id") if isinstance(raw, Mapping) else None
            raise PermanentError(
                f"unexpected response shape: {exc}",
                code="malformed_response",
                request_id=request_id,
                method=method,
                route=route,
            ) from exc

    def _call(
        self,
        parser: Callable[[Any], Any],
        method: str,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Params = None,
        body: Any = None,
    ) -> Any:
        raw = self.request(method, route, path_params=path_params, params=params, body=body)
        return self._parse(parser, raw, method, route)

    def server_time(self) -> datetime | None:
        """Notion's clock from the latest response's ``Date`` header, if any."""
        return self._requester.server_date

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NotionClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"NotionClient(base_url={self.base_url!r}, token=<redacted>)"

    # -- users ------------------------------------------------------------

    def users_me(self) -> User:
        return self._call(User.from_api, "GET", "/v1/users/me")

    def list_users(self, *, page_size: int = MAX_PAGE_SIZE) -> Iterator[User]:
        for item in self._paginate_get("/v1/users", {}, page_size):
            yield self._parse(User.from_api, item, "GET", "/v1/users")

    # -- databases and data sources ----------------------------------------

    def retrieve_database(self, database_id: str) -> Database:
        return self._call(
            Database.from_api,
            "GET",
            "/v1/databases/{database_id}",
            path_params={"database_id": normalize_id(database_id)},
        )

    def create_database(
        self,
        parent_page_id: str,
        title: RichTextInput,
        properties: Mapping[str, Any],
        *,
        description: RichTextInput | None = None,
        is_inline: bool = False,
    ) -> Database:
        body: dict[str, Any] = {
            "parent": {"type": "page_id", "page_id": normalize_id(parent_page_id)},
            "title": _rich_text(title),
            "is_inline": is_inline,
            "initial_data_source": {"properties": dict(properties)},
        }
        if description is not None:
            body["description"] = _rich_text(description)
        return self._call(Database.from_api, "POST", "/v1/databases", body=body)

    def retrieve_data_source(self, data_source_id: str) -> DataSource:
        return self._call(
            DataSource.from_api,
            "GET",
            "/v1/data_sources/{data_source_id}",
            path_params={"data_source_id": normalize_id(data_source_id)},
        )

    def update_data_source(
        self,
        data_source_id: str,
        *,
        properties: Mapping[str, Any] | None = None,
        title: RichTextInput | None = None,
        description: RichTextInput | None = None,
        in_trash: bool | None = None,
    ) -> DataSource:
        body: dict[str, Any] = {}
        if properties is not None:
            body["properties"] = dict(properties)
        if title is not None:
            body["title"] = _rich_text(title)
        if description is not None:
            body["description"] = _rich_text(description)
        if in_trash is not None:
            body["in_trash"] = in_trash
        return self._call(
            DataSource.from_api,
            "PATCH",
            "/v1/data_sources/{data_source_id}",
            path_params={"data_source_id": normalize_id(data_source_id)},
            body=body,
        )

    def query_data_source(
        self,
        data_source_id: str,
        *,
        filter: Mapping[str, Any] | None = None,
        sorts: Sequence[Mapping[str, Any]] | None = None,
        start_cursor: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        filter_properties: Sequence[str] | None = None,
    ) -> QueryPage:
        """One page of query results; ``QueryPage.complete`` is False at Notion's cap."""
        body: dict[str, Any] = {"page_size": _page_size(page_size)}
        if filter is not None:
            body["filter"] = filter
        if sorts is not None:
            body["sorts"] = list(sorts)
        if start_cursor:  # Notion rejects start_cursor: null
            body["start_cursor"] = start_cursor
        params = [("filter_properties", p) for p in filter_properties or ()]
        return self._call(
            QueryPage.from_api,
            "POST",
            "/v1/data_sources/{data_source_id}/query",
            path_params={"data_source_id": normalize_id(data_source_id)},
            params=params or None,
            body=body,
        )

    def iter_query(
        self,
        data_source_id: str,
        *,
        filter: Mapping[str, Any] | None = None,
        sorts: Sequence[Mapping[str, Any]] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        filter_properties: Sequence[str] | None = None,
    ) -> Iterator[Page]:
        """Every row matching the query, following cursors to the end.

        Use :meth:`query_data_source` directly when completeness matters:
        this iterator cannot report ``request_status``.
        """
        cursor: str | None = None
        while True:
            page = self.query_data_source(
                data_source_id,
                filter=filter,
                sorts=sorts,
                start_cursor=cursor,
                page_size=page_size,
                filter_properties=filter_properties,
            )
            yield from page.results
            if not page.has_more:
                return
            cursor = page.next_cursor

    # -- pages ------------------------------------------------------------

    def create_page(
        self,
        *,
        parent_data_source_id: str | None = None,
        parent_page_id: str | None = None,
        properties: Mapping[str, Any],
        markdown: str | None = None,
    ) -> Page:
        if (parent_data_source_id is None) == (parent_page_id is None):
            raise ValueError("give exactly one of parent_data_source_id and parent_page_id")
        if parent_data_source_id is not None:
            parent = {
                "type": "data_source_id",
                "data_source_id": normalize_id(parent_data_source_id),
            }
        else:
            parent = {"type": "page_id", "page_id": normalize_id(str(parent_page_id))}
        body: dict[str, Any] = {"parent": parent, "properties": dict(properties)}
        if markdown is not None:
            body["markdown"] = markdown
        return self._call(Page.from_api, "POST", "/v1/pages", body=body)

    def retrieve_page(self, page_id: str) -> Page:
        return self._call(
            Page.from_api,
            "GET",
            "/v1/pages/{page_id}",
            path_params={"page_id": normalize_id(page_id)},
        )

    def update_page(
        self,
        page_id: str,
        *,
        properties: Mapping[str, Any] | None = None,
        in_trash: bool | None = None,
    ) -> Page:
        body: dict[str, Any] = {}
        if properties is not None:
            body["properties"] = dict(properties)
        if in_trash is not None:
            body["in_trash"] = in_trash
        return self._call(
            Page.from_api,
            "PATCH",
            "/v1/pages/{page_id}",
            path_params={"page_id": normalize_id(page_id)},
            body=body,
        )

    def trash_page(self, page_id: str) -> Page:
        return self.update_page(page_id, in_trash=True)

    def restore_page(self, page_id: str) -> Page:
        return self.update_page(page_id, in_trash=False)

    def retrieve_page_property(
        self,
        page_id: str,
        property_id: str,
        *,
        start_cursor: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> dict[str, Any]:
        """One page of a property's items (or the item itself), raw."""
        if not property_id:
            raise ValueError("property_id must not be empty")
        params: dict[str, Any] = {"page_size": _page_size(page_size)}
        if start_cursor:
            params["start_cursor"] = start_cursor
        return self.request(
            "GET",
            "/v1/pages/{page_id}/properties/{property_id}",
            path_params={"page_id": normalize_id(page_id), "property_id": property_id},
            params=params,
        )

    def iter_page_property_items(self, page_id: str, property_id: str) -> Iterator[dict[str, Any]]:
        """Every item of a paginated property (title, rich_text, people, relation, rollup).

        A non-paginated property (one ``property_item`` object) yields itself.
        """
        cursor: str | None = None
        while True:
            raw = self.retrieve_page_property(page_id, property_id, start_cursor=cursor)
            if raw.get("object") != "list":
                yield raw
                return
            yield from raw.get("results") or ()
            if not raw.get("has_more"):
                return
            cursor = raw.get("next_cursor")
            if not cursor:
                raise PermanentError(
                    "property item list has_more without next_cursor",
                    code="malformed_response",
                    method="GET",
                    route="/v1/pages/{page_id}/properties/{property_id}",
                )

    # -- markdown ---------------------------------------------------------

    def retrieve_markdown(self, page_id: str, *, include_transcript: bool = False) -> PageMarkdown:
        return self._call(
            PageMarkdown.from_api,
            "GET",
            "/v1/pages/{page_id}/markdown",
            path_params={"page_id": normalize_id(page_id)},
            params={"include_transcript": "true"} if include_transcript else None,
        )

    def _patch_markdown(self, page_id: str, body: Mapping[str, Any]) -> PageMarkdown:
        return self._call(
            PageMarkdown.from_api,
            "PATCH",
            "/v1/pages/{page_id}/markdown",
            path_params={"page_id": normalize_id(page_id)},
            body=body,
        )

    def update_markdown_content(
        self,
        page_id: str,
        content_updates: Sequence[Mapping[str, Any]],
        *,
        allow_deleting_content: bool = False,
    ) -> PageMarkdown:
        """Search-and-replace edits (``old_str``/``new_str``[/``replace_all_matches``])."""
        if not content_updates:
            raise ValueError("content_updates must not be empty")
        return self._patch_markdown(
            page_id,
            {
                "type": "update_content",
                "update_content": {
                    "content_updates": [dict(u) for u in content_updates],
                    "allow_deleting_content": allow_deleting_content,
                },
            },
        )

    def replace_markdown(
        self, page_id: str, new_str: str, *, allow_deleting_content: bool = False
    ) -> PageMarkdown:
        return self._patch_markdown(
            page_id,
            {
                "type": "replace_content",
                "replace_content": {
                    "new_str": new_str,
                    "allow_deleting_content": allow_deleting_content,
                },
            },
        )

    def insert_markdown(
        self,
        page_id: str,
        content: str,
        *,
        position: str | None = None,
        after: str | None = None,
    ) -> PageMarkdown:
        """Insert ``content`` at ``position`` (``"start"``/``"end"``) or ``after`` a selection."""
        if position is not None and after is not None:
            raise ValueError("give position or after, not both")
        if position is not None and position not in ("start", "end"):
            raise ValueError("position must be 'start' or 'end'")
        command: dict[str, Any] = {"content": content}
        if position is not None:
            command["position"] = {"type": position}
        if after is not None:
            command["after"] = after
        return self._patch_markdown(page_id, {"type": "insert_content", "insert_content": command})

    # -- search -----------------------------------------------------------

    def search(
        self,
        query: str | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[Page | DataSource | Database | User | Mapping[str, Any]]:
        """Everything search returns, following cursors; unknown objects stay raw dicts."""
        body: dict[str, Any] = {"page_size": _page_size(page_size)}
        if query is not None:
            body["query"] = query
        if filter is not None:
            body["filter"] = filter
        while True:
            raw = self.request("POST", "/v1/search", body=body)
            for item in raw.get("results") or ():
                yield self._parse(parse_result, item, "POST", "/v1/search")
            if not raw.get("has_more") or not raw.get("next_cursor"):
                return
            body = {**body, "start_cursor": raw["next_cursor"]}

    # -- helpers ----------------------------------------------------------

    def _paginate_get(
        self, route: str, path_params: Mapping[str, str], page_size: int
    ) -> Iterator[Any]:
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"page_size": _page_size(page_size)}
            if cursor:
                params["start_cursor"] = cursor
            raw = self.request("GET", route, path_params=path_params, params=params)
            yield from raw.get("results") or ()
            if not raw.get("has_more") or not raw.get("next_cursor"):
                return
            cursor = raw["next_cursor"]
