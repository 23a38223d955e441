"""Which failures are retried for which requests, and how long we wait."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from notion_mirror.errors import (
    AmbiguousOutcomeError,
    NotFoundError,
    NotionValidationError,
    PermanentError,
    RateLimitedError,
    RestrictedError,
    TransientError,
    UnauthorizedError,
)
from notion_mirror.notion import NotionClient
from notion_mirror.notion.testing import FakeClock

from .conftest import DS_ID, PAGE_ID, error_body, page_body

LIST_BODY = {"object": "list", "results": [page_body()], "next_cursor": None, "has_more": False}

# name -> (call, ok body, is it safe to repeat)
CALLS: dict[str, tuple[Callable[[NotionClient], Any], dict, bool]] = {
    "GET page": (lambda c: c.retrieve_page(PAGE_ID), page_body(), True),
    "POST query": (lambda c: c.query_data_source(DS_ID), LIST_BODY, True),
    "POST search": (lambda c: list(c.search("x")), LIST_BODY, True),
    "POST create page": (
        lambda c: c.create_page(parent_data_source_id=DS_ID, properties={}),
        page_body(),
        False,
    ),
    "PATCH page": (lambda c: c.update_page(PAGE_ID, in_trash=True), page_body(), False),
    "PATCH markdown": (
        lambda c: c.replace_markdown(PAGE_ID, "x"),
        {
            "object": "page_markdown",
            "id": PAGE_ID,
            "markdown": "x",
            "truncated": False,
            "unknown_block_ids": [],
        },
        False,
    ),
    "DELETE block": (
        lambda c: c.request("DELETE", "/v1/blocks/{block_id}", path_params={"block_id": PAGE_ID}),
        {"object": "block", "id": PAGE_ID},
        False,
    ),
}

RETRY_AFTER = {"Retry-After": "2"}
# name -> (status, body, headers, outcome for safe, outcome for writes)
# outcome: "retry" = retried then succeeds; an exception type = raised after exactly one send
STATUSES: dict[str, tuple[int, Any, dict, Any, Any]] = {
    "429": (429, error_body(429, "rate_limited"), RETRY_AFTER, "retry", "retry"),
    "429 no header": (429, error_body(429, "rate_limited"), {}, "retry", "retry"),
    "529": (529, error_body(529, "service_overload"), RETRY_AFTER, "retry", "retry"),
    "429 blocked": (
        429,
        error_body(429, "rate_limited", rate_limit_reason="public_api_request_blocked"),
        RETRY_AFTER,
        PermanentError,
        PermanentError,
    ),
    "500": (500, error_body(500, "internal_server_error"), {}, "retry", AmbiguousOutcomeError),
    "502": (502, error_body(502, "bad_gateway"), {}, "retry", AmbiguousOutcomeError),
    "503": (503, error_body(503, "service_unavailable"), {}, "retry", AmbiguousOutcomeError),
    "503 committed": (
        503,
        error_body(
            503,
            "service_unavailable",
            committed_resource_id=PAGE_ID,
            retry_guidance=["Read the object again.", "Do not repeat the write."],
        ),
        {},
        "retry",
        AmbiguousOutcomeError,
    ),
    "503 safe guidance": (
        503,
        error_body(
            503,
            "service_unavailable",
            retry_guidance=["The write was not committed; it is safe to retry."],
        ),
        {},
        "retry",
        "retry",
    ),
    "504": (504, error_body(504, "gateway_timeout"), {}, "retry", AmbiguousOutcomeError),
    "409 conflict": (409, error_body(409, "conflict_error"), {}, "retry", AmbiguousOutcomeError),
    "409 row limit": (
        409,
        error_body(409, "row_limit_exceeded"),
        {},
        PermanentError,
        PermanentError,
    ),
    "400": (
        400,
        error_body(400, "validation_error"),
        {},
        NotionValidationError,
        NotionValidationError,
    ),
    "400 invalid url": (
        400,
        error_body(400, "invalid_request_url"),
        {},
        NotionValidationError,
        NotionValidationError,
    ),
    "401": (401, error_body(401, "unauthorized"), {}, UnauthorizedError, UnauthorizedError),
    "403": (403, error_body(403, "restricted_resource"), {}, RestrictedError, RestrictedError),
    "404": (404, error_body(404, "object_not_found"), {}, NotFoundError, NotFoundError),
    "413 html": (
        413,
        "<html><body>Request Entity Too Large</body></html>",
        {},
        PermanentError,
        PermanentError,
    ),
}


@pytest.mark.parametrize("call_name", list(CALLS))
@pytest.mark.parametrize("status_name", list(STATUSES))
def test_retry_policy_table(make_client, call_name: str, status_name: str) -> None:
    call, ok_body, safe = CALLS[call_name]
    status, body, headers, safe_outcome, write_outcome = STATUSES[status_name]
    outcome = safe_outcome if safe else write_outcome
    client, rec = make_client([(status, body, headers), (200, ok_body)])
    if outcome == "retry":
        call(client)
        assert rec.count == 2
        assert client.stats.retries == 1
    else:
        with pytest.raises(outcome) as info:
            call(client)
        assert rec.count == 1, "a final or ambiguous failure must be sent exactly once"
        err = info.value
        assert err.status == status
        if isinstance(body, dict):
            assert err.code == body["code"]
            assert err.request_id == body["request_id"]
        assert err.method == rec.requests[0].method
        assert "{" in (err.route or "") or err.route in ("/v1/pages", "/v1/search")


AMBIGUOUS_TRANSPORT = [
    httpx.ReadError,
    httpx.ReadTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
]
PRE_SEND = [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout]


@pytest.mark.parametrize("exc", AMBIGUOUS_TRANSPORT)
def test_write_with_unknown_outcome_is_never_retried(make_client, exc: type[Exception]) -> None:
    client, rec = make_client([exc, (200, page_body())])
    with pytest.raises(AmbiguousOutcomeError) as info:
        client.create_page(parent_data_source_id=DS_ID, properties={})
    assert rec.count == 1
    assert isinstance(info.value.cause, exc)
    assert info.value.route == "/v1/pages"


@pytest.mark.parametrize("exc", AMBIGUOUS_TRANSPORT + PRE_SEND)
def test_reads_retry_transport_errors(make_client, exc: type[Exception]) -> None:
    client, rec = make_client([exc, exc, (200, page_body())])
    assert client.retrieve_page(PAGE_ID).id == PAGE_ID
    assert rec.count == 3


@pytest.mark.parametrize("exc", PRE_SEND)
def test_writes_retry_errors_raised_before_sending(make_client, exc: type[Exception]) -> None:
    client, rec = make_client([exc, (200, page_body())])
    client.create_page(parent_data_source_id=DS_ID, properties={})
    assert rec.count == 2


def test_ambiguous_503_carries_committed_resource_id(make_client) -> None:
    body = error_body(
        503,
        "service_unavailable",
        committed_resource_id=PAGE_ID,
        retry_guidance=["Do not repeat the write."],
    )
    client, _rec = make_client([(503, body)])
    with pytest.raises(AmbiguousOutcomeError) as info:
        client.create_page(parent_data_source_id=DS_ID, properties={})
    err = info.value
    assert err.additional_data["committed_resource_id"] == PAGE_ID
    assert err.additional_data["retry_guidance"] == ["Do not repeat the write."]
    assert err.request_id == "req-503-service_unavailable"
    assert err.status == 503 and err.code == "service_unavailable"


def test_retry_after_is_obeyed(make_client, clock: FakeClock) -> None:
    client, rec = make_client(
        [(429, error_body(429, "rate_limited"), {"Retry-After": "7"}), (200, page_body())]
    )
    client.retrieve_page(PAGE_ID)
    assert rec.times[1] - rec.times[0] >= 7.0
    assert client.stats.rate_limit_wait_seconds >= 7.0
    assert client.stats.rate_limited == 1


def test_retry_after_from_body_when_header_missing(make_client) -> None:
    body = error_body(529, "service_overload", retry_after="4")
    client, rec = make_client([(529, body), (200, page_body())])
    client.retrieve_page(PAGE_ID)
    assert rec.times[1] - rec.times[0] >= 4.0


def test_rate_limit_exhaustion_raises_rate_limited(make_client) -> None:
    client, rec = make_client(
        [(429, error_body(429, "rate_limited"), {"Retry-After": "1"})], max_attempts=3
    )
    with pytest.raises(RateLimitedError) as info:
        client.create_page(parent_data_source_id=DS_ID, properties={})
    assert rec.count == 3
    assert info.value.retry_after == 1.0


def test_backoff_grows_exponentially_and_is_capped(make_client, clock: FakeClock) -> None:
    client, rec = make_client(
        [(500, error_body(500, "internal_server_error"))],
        max_attempts=7,
        base_delay=1.0,
        max_delay=4.0,
        max_elapsed=1000.0,
    )
    with pytest.raises(TransientError) as info:
        client.retrieve_page(PAGE_ID)
    assert not isinstance(info.value, AmbiguousOutcomeError)
    assert rec.count == 7
    caps = [1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert len(clock.sleeps) == len(caps)
    for slept, cap in zip(clock.sleeps, caps, strict=True):
        assert cap * 0.5 <= slept <= cap
    # jitter really varies the waits
    assert len({round(s, 6) for s in clock.sleeps}) > 1


def test_backoff_is_reproducible_with_a_seeded_rng(clock: FakeClock) -> None:
    import random

    def run() -> list[float]:
        c = FakeClock()
        client = NotionClient(
            "t",
            base_url="https://notion.test",
            clock=c.now,
            sleep=c.sleep,
            rng=random.Random(42),
            rate_limit=None,
            max_attempts=4,
            transport=httpx.MockTransport(lambda r: httpx.Response(502)),
        )
        with client, pytest.raises(TransientError):
            client.retrieve_page(PAGE_ID)
        return c.sleeps

    assert run() == run()


def test_overall_time_cap_stops_retrying(make_client, clock: FakeClock) -> None:
    client, rec = make_client(
        [(503, error_body(503, "service_unavailable"))],
        max_attempts=50,
        base_delay=1.0,
        max_delay=10.0,
        max_elapsed=20.0,
    )
    start = clock.now()
    with pytest.raises(TransientError):
        client.retrieve_page(PAGE_ID)
    assert clock.now() - start <= 20.0
    assert 2 < rec.count < 50


def test_retry_after_beyond_the_overall_cap_gives_up_at_once(make_client) -> None:
    client, rec = make_client(
        [(429, error_body(429, "rate_limited"), {"Retry-After": "600"})], max_elapsed=60.0
    )
    with pytest.raises(RateLimitedError) as info:
        client.retrieve_page(PAGE_ID)
    assert rec.count == 1
    assert info.value.retry_after == 600.0


def test_network_errors_exhausted_raise_transient(make_client) -> None:
    client, rec = make_client([httpx.ConnectError], max_attempts=3)
    with pytest.raises(TransientError) as info:
        client.create_page(parent_data_source_id=DS_ID, properties={})
    assert not isinstance(info.value, AmbiguousOutcomeError)
    assert rec.count == 3


def test_non_json_success_on_a_write_is_ambiguous(make_client) -> None:
    client, rec = make_client([(200, "<html>ok?</html>")])
    with pytest.raises(AmbiguousOutcomeError):
        client.create_page(parent_data_source_id=DS_ID, properties={})
    assert rec.count == 1


def test_undecodable_response_on_a_write_is_ambiguous(make_client) -> None:
    client, rec = make_client([httpx.DecodingError, (200, page_body())])
    with pytest.raises(AmbiguousOutcomeError):
        client.update_page(PAGE_ID, in_trash=True)
    assert rec.count == 1


def test_retry_after_on_a_5xx_is_waited_out(make_client) -> None:
    client, rec = make_client(
        [(503, error_body(503, "service_unavailable"), {"Retry-After": "5"}), (200, page_body())]
    )
    client.retrieve_page(PAGE_ID)
    assert rec.times[1] - rec.times[0] >= 5.0


def test_retry_after_on_an_ambiguous_write_still_holds_the_next_request(make_client) -> None:
    client, rec = make_client(
        [(502, error_body(502, "bad_gateway"), {"Retry-After": "4"}), (200, page_body())]
    )
    with pytest.raises(AmbiguousOutcomeError):
        client.update_page(PAGE_ID, in_trash=True)
    client.retrieve_page(PAGE_ID)  # e.g. the caller re-reading: not before the 4 s
    assert rec.times[1] - rec.times[0] >= 4.0


def test_retry_after_beyond_max_retry_after_fails_and_caps_the_pause(
    make_client, clock: FakeClock
) -> None:
    client, rec = make_client(
        [(429, error_body(429, "rate_limited"), {"Retry-After": "86400"}), (200, page_body())],
        max_retry_after=30.0,
        max_elapsed=1e6,
    )
    with pytest.raises(RateLimitedError) as info:
        client.retrieve_page(PAGE_ID)
    assert rec.count == 1
    assert info.value.retry_after == 86400.0
    assert client.limiter.paused_until - clock.now() == pytest.approx(30.0)
    client.retrieve_page(PAGE_ID)  # held 30 s, not a day
    assert rec.times[1] - rec.times[0] == pytest.approx(30.0)


@pytest.mark.parametrize(("value", "low", "high"), [("inf", 1.0, 30.0), ("nan", 1.0, 30.0)])
def test_a_non_finite_retry_after_falls_back_to_backoff(
    make_client, value: str, low: float, high: float
) -> None:
    client, rec = make_client(
        [(429, error_body(429, "rate_limited"), {"Retry-After": value}), (200, page_body())]
    )
    client.retrieve_page(PAGE_ID)
    assert low <= rec.times[1] - rec.times[0] <= high


def test_max_retry_after_must_be_positive() -> None:
    from notion_mirror.notion import RetryPolicy

    with pytest.raises(ValueError):
        RetryPolicy(max_retry_after=0)
