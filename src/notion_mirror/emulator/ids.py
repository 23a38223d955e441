"""Identifiers as Notion shapes them: dashed UUIDs, short URL-encoded property ids."""

from __future__ import annotations

import re
import secrets
import uuid
from urllib.parse import quote, unquote

_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_DASHED = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# Notion property ids are 4 random printable characters, URL-encoded on the wire
# (e.g. ``%3AUPp``); clients must pass them back untouched, so we emit some too.
_PROP_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:;<=>?@[]^_`{|}~"


def new_uuid() -> str:
    return str(uuid.uuid4())


def parse_id(value: str) -> str | None:
    """The dashed lower-case form of a request id (dashes optional), or None if not a UUID."""
    if _DASHED.match(value):
        return value.lower()
    if _HEX32.match(value):
        h = value.lower()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return None


def compact(page_id: str) -> str:
    return page_id.replace("-", "")


def page_url(object_id: str) -> str:
    return f"https://app.notion.com/p/{compact(object_id)}"


def new_property_id() -> str:
    return quote("".join(secrets.choice(_PROP_ALPHABET) for _ in range(4)), safe="")


def same_property_id(stored: str, given: str) -> bool:
    """Whether a client-sent property id (raw or decoded) names the stored one."""
    return given == stored or unquote(given) == unquote(stored)
