"""Notion id helpers: canonical dashed ids, and ids pulled out of Notion URLs.

Notion accepts ids with or without dashes and always answers with the dashed
lower-case form, so everything we store or compare goes through
:func:`normalize_id`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["extract_id", "normalize_id"]

_HEX32 = re.compile(r"[0-9a-f]{32}")
_DASHED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# An id closes the last path segment, optionally after a title slug and a dash.
_TAIL = re.compile(
    r"(?:^|[^0-9a-f])"
    r"([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def normalize_id(value: str) -> str:
    """Return ``value`` as a dashed lower-case UUID string.

    Accepts the 32-hex form and the canonical dashed form (any case,
    surrounding whitespace ignored); anything else raises :class:`ValueError`.
    """
    if not isinstance(value, str):
        raise ValueError(f"not a Notion id: {value!r}")
    s = value.strip().lower()
    if _DASHED.fullmatch(s):
        return s
    if _HEX32.fullmatch(s):
        return f"{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:]}"
    raise ValueError(f"not a Notion id: {value!r}")


def extract_id(url_or_id: str) -> str:
    """Return the page/database id named by a Notion URL or a bare id.

    Understands ``https://www.notion.so/<workspace>/<Title>-<32hex>?v=<view>``,
    ``https://app.notion.com/p/<32hex>`` and similar: the id is the one that
    ends the URL *path*; query parameters (``v=`` view ids, ``p=`` peeked
    pages) and ``#block`` fragments are ignored.
    """
    if not isinstance(url_or_id, str):
        raise ValueError(f"not a Notion URL or id: {url_or_id!r}")
    text = url_or_id.strip()
    try:
        return normalize_id(text)
    except ValueError:
        pass
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not a Notion URL or id: {url_or_id!r}")
    segments = [seg for seg in parts.path.split("/") if seg]
    if segments:
        match = _TAIL.search(segments[-1].lower())
        if match:
            return normalize_id(match.group(1))
    raise ValueError(f"no Notion id in URL: {url_or_id!r}")
