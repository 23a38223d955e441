"""Pure text operations behind ``PATCH /v1/pages/{id}/markdown``.

Notion edits the page's enhanced markdown as text: exact, case-sensitive
``old_str`` matches, ellipsis selections for the legacy ``insert_content``, and
a guard against silently deleting child pages or databases.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

HOSTED_MEDIA_HOST = "prod-files-secure.s3.us-west-2.amazonaws.com"
_HOSTED_URL = re.compile(
    r"(https://" + re.escape(HOSTED_MEDIA_HOST) + r"/[^\s)\"'<>?]*)(\?[^\s)\"'<>]*)?"
)
_CHILD = re.compile(
    r"^\s*<(page|database)\s+url=\"https://app\.notion\.com/p/([0-9a-f]{32})\"[^>]*>(.*?)</\1>\s*$"
)


class EditError(ValueError):
    """A ``validation_error`` whose message is ``str(self)``."""


@dataclass(frozen=True)
class ChildRef:
    kind: str  # "page" or "database"
    hex_id: str
    title: str


def strip_signatures(markdown: str) -> str:
    """Hosted file URLs are stored unsigned: the signature is a per-read artefact."""
    return _HOSTED_URL.sub(lambda m: m.group(1), markdown)


def sign_media(markdown: str) -> str:
    """Give every hosted file URL a fresh fake signature, as Notion does on every read."""

    def sign(m: re.Match[str]) -> str:
        return (
            f"{m.group(1)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600"
            f"&X-Amz-Signature={secrets.token_hex(32)}"
        )

    return _HOSTED_URL.sub(sign, markdown)


def child_refs(markdown: str) -> list[ChildRef]:
    out = []
    for line in markdown.split("\n"):
        m = _CHILD.match(line)
        if m:
            out.append(ChildRef(m.group(1), m.group(2), m.group(3)))
    return out


def deleted_children(before: str, after: str) -> list[ChildRef]:
    kept = {c.hex_id for c in child_refs(after)}
    return [c for c in child_refs(before) if c.hex_id not in kept]


def guard_message(deleted: list[ChildRef]) -> str:
    items = ", ".join(f'{c.kind}: "{c.title}"' for c in deleted)
    return f"This operation would delete {len(deleted)} child page(s) or database(s): {items}"


def apply_updates(markdown: str, updates: list[tuple[str, str, bool]]) -> str:
    """Apply (old_str, new_str, replace_all) in order; any miss fails the whole batch."""
    text = markdown
    for index, (old, new, replace_all) in enumerate(updates):
        count = text.count(old)
        if count == 0:
            raise EditError(
                f"content_updates[{index}]: old_str was not found in the page content: {old!r}"
            )
        if count > 1 and not replace_all:
            raise EditError(
                f"content_updates[{index}]: old_str matches {count} locations in the page "
                f"content; make it unique or set replace_all_matches to true: {old!r}"
            )
        text = text.replace(old, new) if replace_all else text.replace(old, new, 1)
    return text


def select(markdown: str, selection: str) -> tuple[int, int]:
    """Span of an ellipsis selection ``"start...end"`` (first start, then the next end)."""
    if "..." in selection:
        start_text, end_text = selection.split("...", 1)
    else:
        start_text, end_text = selection, ""
    if not start_text:
        raise EditError(f"Selection is invalid: {selection!r}")
    start = markdown.find(start_text)
    if start < 0:
        raise EditError(f"Could not find the selection in the page content: {selection!r}")
    end = start + len(start_text)
    if end_text:
        found = markdown.find(end_text, end)
        if found < 0:
            raise EditError(f"Could not find the selection in the page content: {selection!r}")
        end = found + len(end_text)
    return start, end


def insert(markdown: str, content: str, *, after: str | None, at_start: bool) -> str:
    if after is not None:
        _, end = select(markdown, after)
        line_end = markdown.find("\n", end)
        cut = len(markdown) if line_end < 0 else line_end
        return markdown[:cut] + "\n" + content + markdown[cut:]
    if not markdown:
        return content
    return content + "\n" + markdown if at_start else markdown + "\n" + content
