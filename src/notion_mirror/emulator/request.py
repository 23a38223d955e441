"""What a handler sees of one API call, already authenticated and routed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from notion_mirror.emulator import bodycheck


@dataclass
class ApiRequest:
    method: str
    template: str
    params: dict[str, str]
    query: list[tuple[str, str]] = field(default_factory=list)
    body: Any = None
    version: str = "2026-03-11"

    def json_object(self) -> dict[str, Any]:
        """The body as an object; an absent body counts as ``{}`` like Notion."""
        if self.body is None:
            return {}
        return bodycheck.obj(self.body, "body")

    def query_one(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def query_all(self, name: str) -> list[str] | None:
        got = [v for k, v in self.query if k in (name, f"{name}[]")]
        return got or None

    @property
    def legacy_archived(self) -> bool:
        """``archived`` is still an accepted alias of ``in_trash`` before 2026-03-11."""
        return self.version != "2026-03-11"
