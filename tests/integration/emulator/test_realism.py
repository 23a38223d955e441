"""Rate limit, latency and injected faults, as an HTTP client experiences them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from notion_mirror.emulator.realism import parse_faults
from notion_mirror.testing import EmulatorHandle
from tests.integration.emulator.conftest import client_for, error_of, make_data_source, text


def _statuses(handle: EmulatorHandle, n: int) -> list[int]:
    with client_for(handle) as api:
        return [api.get("/v1/users/me").status_code for _ in range(n)]


def test_faults_are_deterministic_under_a_seed(emulator_factory) -> None:
    a = emulator_factory(faults="500:0.3,503:0.2", seed=7)
    b = emulator_factory(faults="500:0.3,503:0.2", seed=7)
    first, second = _statuses(a, 40), _statuses(b, 40)
    assert first == second
    assert {500, 503, 200} <= set(first)
    stats = a.emulator.stats()
    assert stats["requests"]["GET /v1/users/me"] == 40  # faulted requests are counted


def test_fault_errors_are_notion_shaped(emulator_factory) -> None:
    handle = emulator_factory(faults="529:1")
    with client_for(handle) as api:
        resp = api.get("/v1/users/me")
        assert error_of(resp)[:2] == (529, "service_overload")
        assert resp.headers["Retry-After"] == "1"
        api.post("/__emulator/faults", json={"spec": "429:1"})
        resp = api.get("/v1/users/me")
        assert error_of(resp)[:2] == (429, "rate_limited")
        assert resp.json()["additional_data"]["retry_after"] == "1"
        api.post("/__emulator/faults", json={"spec": ""})
        assert api.get("/v1/users/me").status_code == 200
        bad = api.post("/__emulator/faults", json={"spec": "teapot:1"})
        assert error_of(bad)[1] == "validation_error"


def test_route_scoped_faults(emulator_factory) -> None:
    handle = emulator_factory(faults="502@GET /v1/users/{user_id}:1")
    with client_for(handle) as api:
        me = api.get("/v1/users/me").json()
        assert api.get(f"/v1/users/{me['id']}").status_code == 502
        assert api.get("/v1/users").status_code == 200


def test_reset_drops_the_connection(emulator_factory) -> None:
    handle = emulator_factory(faults="reset:1")
    with client_for(handle) as api, pytest.raises(httpx.RemoteProtocolError):
        api.get("/v1/users/me")


def test_timeout_holds_the_request(emulator_factory) -> None:
    handle = emulator_factory(faults="timeout:1")
    with client_for(handle, timeout=0.3) as api:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            api.get("/v1/users/me")
        assert time.monotonic() - started < 5
    # teardown must not wait for the held request: the fixture stops it promptly


def test_applied_then_503_really_applies(emulator_factory) -> None:
    handle = emulator_factory()
    with client_for(handle) as api:
        _, ds = make_data_source(api, handle.root_page_id)
        api.post("/__emulator/faults", json={"spec": "applied-then-503@POST /v1/pages:1"})
        resp = api.post(
            "/v1/pages",
            json={
                "parent": {"data_source_id": ds},
                "properties": {"Name": {"title": text("once")}},
            },
        )
        status, code, _ = error_of(resp)
        assert (status, code) == (503, "service_unavailable")
        extra = resp.json()["additional_data"]
        assert extra["retry_guidance"]
        committed = extra["committed_resource_id"]
        api.post("/__emulator/faults", json={"spec": ""})
        rows = api.post(f"/v1/data_sources/{ds}/query", json={}).json()["results"]
        assert [r["id"] for r in rows] == [committed]


def test_applied_then_reset_applies_and_drops(emulator_factory) -> None:
    handle = emulator_factory()
    with client_for(handle) as api:
        _, ds = make_data_source(api, handle.root_page_id)
        api.post("/__emulator/faults", json={"spec": "applied-then-reset@POST /v1/pages:1"})
        with pytest.raises(httpx.RemoteProtocolError):
            api.post(
                "/v1/pages",
                json={
                    "parent": {"data_source_id": ds},
                    "properties": {"Name": {"title": text("x")}},
                },
            )
    with client_for(handle) as api:
        api.post("/__emulator/faults", json={"spec": ""})
        assert len(api.post(f"/v1/data_sources/{ds}/query", json={}).json()["results"]) == 1


def test_rate_limit_answers_429_with_retry_after(emulator_factory) -> None:
    handle = emulator_factory(rate_limit=2)
    with client_for(handle) as api:
        statuses = [api.get("/v1/users/me") for _ in range(4)]
        limited = [r for r in statuses if r.status_code == 429]
        assert limited and statuses[0].status_code == 200
        resp = limited[0]
        assert int(resp.headers["Retry-After"]) >= 1
        body = resp.json()
        assert body["code"] == "rate_limited"
        assert body["additional_data"] == {
            "rate_limit_reason": "public_api_request_rate_limit",
            "retry_after": resp.headers["Retry-After"],
        }
        api.post("/__emulator/rate-limit", json={"rps": None})
        assert all(api.get("/v1/users/me").status_code == 200 for _ in range(5))


def test_latency_overlaps_concurrent_requests(emulator_factory) -> None:
    handle = emulator_factory(latency_ms=200)
    with client_for(handle) as api:
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(lambda _: api.get("/v1/users/me").status_code, range(4)))
        elapsed = time.monotonic() - started
    assert codes == [200] * 4
    assert 0.2 <= elapsed < 0.7


def test_fault_spec_parsing() -> None:
    faults = parse_faults("429:0.1, applied-then-503@POST /v1/pages:0.5")
    assert [(f.kind, f.probability, f.method, f.template) for f in faults] == [
        ("429", 0.1, None, None),
        ("applied-then-503", 0.5, "POST", "/v1/pages"),
    ]
    for bad in ("500", "500:2", "boom:0.1", "500@/v1/pages:0.1"):
        with pytest.raises(ValueError):
            parse_faults(bad)
