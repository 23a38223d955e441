"""The Notion client over real HTTP against the local emulator.

Faults are injected by the emulator (``faults="503:0.2,reset:0.05"``...);
request counts come from its admin endpoint ``GET /__emulator/stats``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from notion_mirror.errors import AmbiguousOutcomeError, NotFoundError
from notion_mirror.notion import NotionClient

MISSING = "00000000-0000-4000-8000-000000000000"


def _client(handle: Any, **kw: Any) -> NotionClient:
    kw.setdefault("rate_limit", None)
    kw.setdefault("base_delay", 0.01)
    kw.setdefault("max_delay", 0.05)
    kw.setdefault("timeout", 10.0)
    return NotionClient(handle.token, base_url=handle.base_url, **kw)


def _server_stats(handle: Any) -> dict[str, Any]:
    response = httpx.get(
        f"{handle.base_url}/__emulator/stats",
        headers={"Authorization": f"Bearer {handle.token}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def test_typed_round_trip(emulator: Any) -> None:
    with _client(emulator) as notion:
        assert notion.users_me().type == "bot"
        db = notion.create_database(
            emulator.root_page_id,
            "Tasks",
            {"Name": {"title": {}}, "Done": {"checkbox": {}}},
        )
        assert db.title == "Tasks" and len(db.data_sources) == 1
        ds = notion.retrieve_data_source(db.data_sources[0].id)
        assert ds.database_id == db.id
        assert {p.type for p in ds.properties.values()} == {"title", "checkbox"}
        created = [
            notion.create_page(
                parent_data_source_id=ds.id,
                properties={"Name": {"title": [{"text": {"content": f"Row {i}"}}]}},
                markdown=f"Body {i}",
            )
            for i in range(5)
        ]
        rows = list(notion.iter_query(ds.id, page_size=2))
        assert {p.id for p in rows} == {p.id for p in created}
        assert all(p.data_source_id == ds.id for p in rows)
        page = created[0]
        assert notion.retrieve_markdown(page.id).markdown.strip() == "Body 0"
        edited = notion.update_markdown_content(page.id, [{"old_str": "Body 0", "new_str": "B!"}])
        assert "B!" in edited.markdown
        assert notion.trash_page(page.id).in_trash
        assert not notion.restore_page(page.id).in_trash
        items = list(notion.iter_page_property_items(page.id, "title"))
        assert "".join(i["title"]["plain_text"] for i in items) == "Row 0"
        with pytest.raises(NotFoundError) as info:
            notion.retrieve_page(MISSING)
        assert info.value.code == "object_not_found"
        assert info.value.request_id
        assert notion.stats.requests["POST /v1/pages"] == 5


def test_transient_faults_on_reads_converge(emulator_factory: Any) -> None:
    handle = emulator_factory(faults="503:0.2,reset:0.05", seed=1)
    with _client(handle, max_attempts=12) as notion:
        for _ in range(40):
            assert notion.retrieve_page(handle.root_page_id).id == handle.root_page_id
        me = notion.users_me()
        assert me.id
        assert notion.stats.retries > 0, "the faults should have forced some retries"
        sent = notion.stats.requests["GET /v1/pages/{page_id}"]
    served = _server_stats(handle)["requests"].get("GET /v1/pages/{page_id}", 0)
    # resets may be counted by the server or not; it never sees more than we sent
    assert 40 <= served <= sent


@pytest.mark.parametrize("fault", ["applied-then-503:1.0", "applied-then-reset:1.0"])
def test_ambiguous_page_create_is_sent_once(emulator_factory: Any, fault: str) -> None:
    handle = emulator_factory(faults=fault, seed=1)
    with _client(handle) as notion:
        with pytest.raises(AmbiguousOutcomeError) as info:
            notion.create_page(
                parent_page_id=handle.root_page_id,
                properties={"title": {"title": [{"text": {"content": "Maybe"}}]}},
            )
        assert notion.stats.requests["POST /v1/pages"] == 1
        err = info.value
        assert err.route == "/v1/pages" and err.method == "POST"
        if fault.startswith("applied-then-503"):
            assert err.status == 503
            assert err.request_id
            committed = err.additional_data.get("committed_resource_id")
            if committed:  # the emulator says what it committed: it must really exist
                assert notion.retrieve_page(committed).id == committed
        else:
            assert err.cause is not None
    assert _server_stats(handle)["requests"].get("POST /v1/pages") == 1


def test_client_limiter_keeps_under_the_server_limit(emulator_factory: Any) -> None:
    handle = emulator_factory(rate_limit=5)
    with _client(handle, rate_limit=4, burst=1) as notion:
        start = time.monotonic()
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(5):
                    notion.retrieve_page(handle.root_page_id)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        assert not errors
        assert notion.stats.statuses.get(429, 0) == 0
        assert elapsed >= (20 - 1) / 4 - 0.1


def test_server_rate_limit_is_obeyed_and_converges(emulator_factory: Any) -> None:
    handle = emulator_factory(rate_limit=5)
    with _client(handle, max_attempts=8) as notion:
        for _ in range(15):
            notion.retrieve_page(handle.root_page_id)
        assert notion.stats.requests_total >= 15
        if notion.stats.rate_limited:
            assert notion.stats.rate_limit_wait_seconds >= 1.0
