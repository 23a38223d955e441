"""Error mapping details, non-JSON bodies, and the token staying secret."""

from __future__ import annotations

import logging

import httpx
import pytest

from notion_mirror.errors import (
    AmbiguousOutcomeError,
    NotFoundError,
    RequestTooLargeError,
    RestrictedError,
    TransientError,
    UnauthorizedError,
    UsageError,
)
from notion_mirror.notion import NotionClient

from .conftest import DS_ID, PAGE_ID, TOKEN, error_body, page_body


def test_error_carries_route_template_not_raw_url(make_client) -> None:
    client, _ = make_client(
        [(404, error_body(404, "object_not_found", "Could not find it.", integration_id="abc"))]
    )
    with pytest.raises(NotFoundError) as info:
        client.retrieve_page(PAGE_ID)
    err = info.value
    assert err.method == "GET"
    assert err.route == "/v1/pages/{page_id}"
    assert err.additional_data == {"integration_id": "abc"}
    assert str(err) == (
        "GET /v1/pages/{page_id} 404 object_not_found: Could not find it. "
        "(request_id req-404-object_not_found)"
    )
    assert PAGE_ID not in str(err)


def test_request_id_falls_back_to_header(make_client) -> None:
    body = {"object": "error", "status": 403, "code": "restricted_resource", "message": "no"}
    client, _ = make_client([(403, body, {"x-notion-request-id": "hdr-req"})])
    with pytest.raises(RestrictedError) as info:
        client.retrieve_page(PAGE_ID)
    assert info.value.request_id == "hdr-req"


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        (
            502,
            "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
            "</body></html>",
            TransientError,
        ),
        (503, "upstream connect error or disconnect/reset before headers", TransientError),
        (403, "Forbidden by proxy", RestrictedError),
        (401, "", UnauthorizedError),
    ],
)
def test_non_json_error_bodies(make_client, status: int, text: str, expected) -> None:
    client, _ = make_client(
        [(status, text, {"content-type": "text/html", "cf-ray": "x"})], max_attempts=1
    )
    with pytest.raises(expected) as info:
        client.retrieve_page(PAGE_ID)
    err = info.value
    assert err.status == status
    assert err.code is None
    assert str(status) in err.message
    assert "<" not in err.message
    assert len(err.message) < 260


def test_long_html_error_is_excerpted(make_client) -> None:
    client, _ = make_client([(500, "<p>" + "x" * 5000 + "</p>")], max_attempts=1)
    with pytest.raises(TransientError) as info:
        client.retrieve_page(PAGE_ID)
    assert len(info.value.message) < 260


def test_non_json_5xx_on_write_is_ambiguous(make_client) -> None:
    client, rec = make_client([(502, "<html>Bad Gateway</html>")])
    with pytest.raises(AmbiguousOutcomeError) as info:
        client.update_page(PAGE_ID, properties={})
    assert rec.count == 1
    assert info.value.status == 502


def test_a_request_over_notions_payload_limit_is_never_sent(make_client) -> None:
    """Notion refuses a payload over 500 KB; measured as httpx encodes it (UTF-8, so
    200,000 two-byte characters are 400 KB, not 1.2 MB of ASCII escapes)."""
    reply = {"object": "page_markdown", "id": PAGE_ID, "markdown": "", "truncated": False}
    client, rec = make_client([(200, reply)])
    client.replace_markdown(PAGE_ID, "é" * 200_000)
    assert rec.count == 1
    with pytest.raises(RequestTooLargeError) as info:
        client.replace_markdown(PAGE_ID, "x" * 500_001)
    assert rec.count == 1, "the oversized request reached the transport"
    assert "nothing was sent" in str(info.value) and "500 KB" in str(info.value)
    assert info.value.route == "/v1/pages/{page_id}/markdown"


def test_missing_token_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.delenv("NOTION_API_TOKEN", raising=False)
    monkeypatch.delenv("NOTION_TOKEN", raising=False)
    with pytest.raises(UsageError, match="NOTION_API_TOKEN"):
        NotionClient()
    with pytest.raises(UsageError):
        NotionClient("   ")


def test_token_and_base_url_from_environment(monkeypatch) -> None:
    monkeypatch.delenv("NOTION_API_TOKEN", raising=False)
    monkeypatch.setenv("NOTION_TOKEN", "from-fallback")
    monkeypatch.setenv("NOTION_API_BASE_URL", "http://127.0.0.1:1/")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "user", "id": PAGE_ID, "type": "bot"})

    with NotionClient(transport=httpx.MockTransport(handler), rate_limit=None) as client:
        assert client.base_url == "http://127.0.0.1:1"
        client.users_me()
    assert seen[0].headers["authorization"] == "Bearer from-fallback"
    assert str(seen[0].url) == "http://127.0.0.1:1/v1/users/me"
    monkeypatch.setenv("NOTION_API_TOKEN", "primary")
    with NotionClient(transport=httpx.MockTransport(handler), rate_limit=None) as client:
        client.users_me()
    assert seen[1].headers["authorization"] == "Bearer primary"


def test_bad_base_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        NotionClient("t", base_url="api.notion.com")


def test_token_never_leaks(make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    # A hostile proxy that echoes the Authorization header into its error page.
    echo = f"<html>bad request from Bearer {TOKEN}</html>"
    client, _ = make_client(
        [
            (429, error_body(429, "rate_limited"), {"Retry-After": "1"}),
            (500, error_body(500, "internal_server_error", f"token {TOKEN} rejected")),
            httpx.ReadError,
            (200, page_body()),
            (401, echo),
            (503, error_body(503, "service_unavailable", f"x {TOKEN}")),
            httpx.RemoteProtocolError,
        ],
    )
    client.retrieve_page(PAGE_ID)
    errors: list[BaseException] = []
    for call in (
        lambda: client.retrieve_page(PAGE_ID),
        lambda: client.update_page(PAGE_ID, in_trash=True),
        lambda: client.create_page(parent_data_source_id=DS_ID, properties={}),
    ):
        with pytest.raises(Exception) as info:
            call()
        errors.append(info.value)
    assert isinstance(errors[0], UnauthorizedError)
    assert isinstance(errors[1], AmbiguousOutcomeError)
    assert isinstance(errors[2], AmbiguousOutcomeError)
    texts = [str(client), repr(client), repr(vars(client)), repr(client.stats), caplog.text]
    texts += [m for r in caplog.records for m in (r.getMessage(), repr(r.args))]
    for err in errors:
        texts += [str(err), repr(err), err.message, repr(getattr(err, "cause", None))]
        texts += [repr(vars(err))]
    for text in texts:
        assert TOKEN not in text
    assert "<redacted>" in repr(client)
    assert any("/v1/pages/{page_id}" in r.getMessage() for r in caplog.records)


def test_debug_log_has_route_status_attempt_but_no_bodies(make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="notion_mirror.notion")
    secret_title = "Top secret row title"
    client, _ = make_client(
        [
            (503, error_body(503, "service_unavailable")),
            (200, page_body(properties={"Name": {"title": secret_title}})),
        ]
    )
    client.retrieve_page(PAGE_ID)
    messages = [r.getMessage() for r in caplog.records if r.name == "notion_mirror.notion"]
    assert any("GET /v1/pages/{page_id}" in m and "status=503" in m for m in messages)
    assert any("attempt=2" in m for m in messages)
    assert any("backing off" in m for m in messages)
    assert not any(secret_title in m or PAGE_ID in m for m in messages)
