"""The Notion API client: HTTP, auth, version pinning, rate limiting, retries,
pagination, typed models and errors mapped onto :mod:`notion_mirror.errors`.

It knows nothing about files or sync policy.
"""

from notion_mirror.notion._limiter import RateLimiter, shared_limiter
from notion_mirror.notion._retry import RetryPolicy
from notion_mirror.notion._stats import ClientStats
from notion_mirror.notion.client import DEFAULT_BASE_URL, NOTION_VERSION, NotionClient
from notion_mirror.notion.ids import extract_id, normalize_id
from notion_mirror.notion.models import (
    Database,
    DataSource,
    DataSourceRef,
    MalformedResponse,
    Page,
    PageMarkdown,
    PropertySchema,
    QueryPage,
    User,
    parse_timestamp,
    plain_text,
)

__all__ = [
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
]
