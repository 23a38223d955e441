"""The shared rate limiter, measured on a fake clock."""

from __future__ import annotations

import threading

import pytest

from notion_mirror.errors import RateLimitedError
from notion_mirror.notion import RateLimiter, shared_limiter
from notion_mirror.notion.testing import FakeClock

from .conftest import PAGE_ID, error_body, page_body


def _max_in_window(times: list[float], window: float) -> int:
    best = 0
    for i, t in enumerate(times):
        best = max(best, sum(1 for u in times[i:] if u < t + window))
    return best


@pytest.mark.parametrize(("rate", "burst"), [(3.0, 3), (10.0, 5), (2.0, 1), (1.5, 3)])
def test_limiter_holds_the_rate_over_100_requests(make_client, clock, rate, burst) -> None:
    client, rec = make_client([(200, page_body())], rate_limit=rate, burst=burst)
    start = clock.now()
    for _ in range(100):
        client.retrieve_page(PAGE_ID)
    elapsed = clock.now() - start
    assert elapsed >= (100 - burst) / rate
    assert elapsed <= 100 / rate + 1.0, "limiter should not be much slower than asked"
    assert rec.times[:burst] == [start] * burst, "the first burst goes out at once"
    assert _max_in_window(rec.times, burst / rate) <= burst
    assert client.stats.rate_limit_wait_seconds == pytest.approx(elapsed, abs=1e-6)


def test_limiter_is_shared_between_threads(make_client, clock) -> None:
    client, rec = make_client([(200, page_body())], rate_limit=3.0, burst=3)
    start = clock.now()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                client.retrieve_page(PAGE_ID)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert rec.count == 100
    assert client.stats.requests["GET /v1/pages/{page_id}"] == 100
    assert clock.now() - start >= (100 - 3) / 3


def test_disabled_limiter_never_waits(make_client, clock) -> None:
    client, _ = make_client([(200, page_body())], rate_limit=0)
    start = clock.now()
    for _ in range(50):
        client.retrieve_page(PAGE_ID)
    assert clock.now() == start


def test_429_pauses_every_client_sharing_the_limiter(make_client, clock) -> None:
    limiter = RateLimiter(3.0, 3, clock=clock.now, sleep=clock.sleep)
    first, first_rec = make_client(
        [(429, error_body(429, "rate_limited"), {"Retry-After": "10"})],
        limiter=limiter,
        max_attempts=1,
    )
    second, second_rec = make_client([(200, page_body())], limiter=limiter)
    with pytest.raises(RateLimitedError):
        first.retrieve_page(PAGE_ID)
    refused_at = first_rec.times[0]
    second.retrieve_page(PAGE_ID)
    assert second_rec.times[0] >= refused_at + 10.0
    assert second.stats.rate_limit_wait_seconds >= 10.0


def test_after_a_429_the_rate_is_halved_for_a_while() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, 2, clock=clock.now, sleep=clock.sleep, slowdown_seconds=30)
    assert limiter.current_rate == 4.0
    limiter.pause(5)
    assert limiter.paused_until == clock.now() + 5
    assert limiter.current_rate == 2.0
    limiter.pause(1)
    assert limiter.current_rate == 1.0
    # while slowed, 20 requests take at least twice as long as at full speed
    start = clock.now()
    for _ in range(20):
        limiter.acquire()
    assert clock.now() - start >= 5 + (20 - 2) / 1.0 - 1e-9
    clock.advance(60)
    assert limiter.current_rate == 4.0


def test_pause_without_rate_limit_still_waits() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock.now, sleep=clock.sleep)
    limiter.pause(3)
    assert limiter.acquire() == pytest.approx(3.0)
    assert limiter.acquire() == 0.0


def test_shared_limiter_is_per_base_url_and_rate() -> None:
    a = shared_limiter("https://api.notion.com", 3, 3)
    assert shared_limiter("https://api.notion.com/", 3, 3) is a
    assert shared_limiter("http://127.0.0.1:9999", 3, 3) is not a
    assert shared_limiter("https://api.notion.com", 10, 3) is not a


def test_clients_with_real_time_share_the_process_limiter() -> None:
    from notion_mirror.notion import NotionClient

    with (
        NotionClient("t", base_url="https://shared.test") as a,
        NotionClient("t", base_url="https://shared.test") as b,
    ):
        assert a.limiter is b.limiter


def test_bad_limiter_settings() -> None:
    with pytest.raises(ValueError):
        RateLimiter(-1)
    with pytest.raises(ValueError):
        RateLimiter(3, 0)
