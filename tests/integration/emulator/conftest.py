"""Raw-HTTP fixtures for the emulator's own tests (no product client involved)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from notion_mirror.testing import EmulatorHandle

RECORDED = Path(__file__).resolve().parents[3] / "fixtures" / "notion-recorded"
VERSION = "2026-03-11"


def recorded(name: str) -> dict[str, Any]:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))["response"]["body"]


def client_for(handle: EmulatorHandle, **kwargs: Any) -> httpx.Client:
    return httpx.Client(
        base_url=handle.base_url,
        headers={"Authorization": f"Bearer {handle.token}", "Notion-Version": VERSION},
        timeout=kwargs.pop("timeout", 10),
        **kwargs,
    )


@pytest.fixture
def api(emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    with client_for(emulator) as client:
        yield client


def text(content: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": content}}]


def make_data_source(
    api: httpx.Client, root: str, properties: dict[str, Any] | None = None
) -> tuple[str, str]:
    resp = api.post(
        "/v1/databases",
        json={
            "parent": {"type": "page_id", "page_id": root},
            "title": text("Tasks"),
            "initial_data_source": {"properties": properties or {"Name": {"title": {}}}},
        },
    )
    assert resp.status_code == 200, resp.text
    db = resp.json()
    return db["id"], db["data_sources"][0]["id"]


def make_row(api: httpx.Client, ds: str, name: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "parent": {"data_source_id": ds},
        "properties": {"Name": {"title": text(name)}, **extra.pop("properties", {})},
        **extra,
    }
    resp = api.post("/v1/pages", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture
def tasks(api: httpx.Client, emulator: EmulatorHandle) -> tuple[str, str]:
    return make_data_source(
        api, emulator.root_page_id, {"Name": {"title": {}}, "Estimate": {"number": {}}}
    )


def error_of(resp: httpx.Response) -> tuple[int, str, str]:
    body = resp.json()
    assert body["object"] == "error"
    assert body["status"] == resp.status_code
    assert isinstance(body["request_id"], str)
    return resp.status_code, body["code"], body["message"]


Maker = Callable[..., dict[str, Any]]
