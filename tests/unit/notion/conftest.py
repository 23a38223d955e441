"""Helpers: a client wired to an in-memory transport and a fake clock."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from notion_mirror.notion import NotionClient
from notion_mirror.notion.testing import FakeClock

TOKEN = "ntn_S3cretT0kenValue_do_not_leak_0123456789"
PAGE_ID = "393abc1e-edcd-8181-8d59-e30a27148c69"
DS_ID = "393abc1e-edcd-8179-9372-000bd163e729"


def error_body(status: int, code: str, message: str = "boom", **additional: Any) -> dict:
    body: dict[str, Any] = {
        "object": "error",
        "status": status,
        "code": code,
        "message": message,
        "request_id": f"req-{status}-{code}",
    }
    if additional:
        body["additional_data"] = additional
    return body


def page_body(page_id: str = PAGE_ID, **extra: Any) -> dict:
    return {
        "object": "page",
        "id": page_id,
        "created_time": "2026-07-04T09:08:00.000Z",
        "last_edited_time": "2026-07-04T09:09:00.000Z",
        "parent": {"type": "data_source_id", "data_source_id": DS_ID, "database_id": DS_ID},
        "in_trash": False,
        "properties": {"Name": {"id": "title", "type": "title", "title": []}},
        "url": "https://app.notion.com/p/x",
        "request_id": "req-ok",
        **extra,
    }


@dataclass
class Recorder:
    """A scripted server: each request takes the next reply (last one repeats)."""

    replies: list[Any]
    clock: FakeClock
    requests: list[httpx.Request] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.clock.now())
        reply = self.replies[min(len(self.requests) - 1, len(self.replies) - 1)]
        if callable(reply) and not isinstance(reply, type):
            reply = reply(request)
        if isinstance(reply, BaseException) or (
            isinstance(reply, type) and issubclass(reply, BaseException)
        ):
            exc = reply("scripted failure", request=request) if isinstance(reply, type) else reply
            raise exc
        if isinstance(reply, httpx.Response):
            return reply
        status, body = reply[0], reply[1]
        headers = reply[2] if len(reply) > 2 else {}
        if isinstance(body, (dict, list)):
            return httpx.Response(
                status,
                content=json.dumps(body).encode(),
                headers={"content-type": "application/json", **headers},
            )
        return httpx.Response(status, content=str(body).encode(), headers=headers)

    @property
    def count(self) -> int:
        return len(self.requests)


MakeClient = Callable[..., tuple[NotionClient, Recorder]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock: FakeClock):
    clients: list[NotionClient] = []

    def make(replies: list[Any], **kw: Any) -> tuple[NotionClient, Recorder]:
        rec = Recorder(list(replies), clock)
        kw.setdefault("rate_limit", None)
        client = NotionClient(
            TOKEN,
            base_url="https://notion.test",
            clock=clock.now,
            sleep=clock.sleep,
            rng=random.Random(7),
            transport=httpx.MockTransport(rec),
            **kw,
        )
        clients.append(client)
        return client, rec

    yield make
    for c in clients:
        c.close()
