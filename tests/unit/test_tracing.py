"""OpenTelemetry spans: the tree of one sync, what attributes may carry, and the
OTEL environment switch (off unless asked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from notion_mirror import tracing
from notion_mirror.notion import NotionClient
from notion_mirror.sync.engine import sync
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title

SCHEMA = {
    "Name": {"title": {}},
    "Status": {"select": {"options": [{"name": "Todo"}, {"name": "Doing"}, {"name": "Done"}]}},
}
SECRET_TITLES = ("Quarterly secret plan", "Launch codename Bluebird", "Hiring shortlist")
SECRET_BODY = "Confidential paragraph about margins."


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """Spans of this test only; the process-wide provider stays untouched."""
    exp = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exp))
    monkeypatch.setattr(tracing, "_tracer", lambda: provider.get_tracer(tracing.TRACER_NAME))
    yield exp
    provider.shutdown()


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_one_sync_has_a_span_tree_without_content(
    tmp_path: Path, emulator: EmulatorHandle, exporter: InMemorySpanExporter
) -> None:
    api = NotionAPI(emulator)
    client = NotionClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    try:
        db, ds = api.create_data_source(SCHEMA)
        ids = [
            api.add_page(ds, {**title(t), "Status": {"select": {"name": "Todo"}}}, SECRET_BODY)
            for t in SECRET_TITLES
        ]
        root = tmp_path / "tasks"
        mirror, _, _ = track(client, db, root)
        assert mirror is not None
        # A local edit, a remote edit, and a conflict on the same property.
        _edit(root / f"{SECRET_TITLES[0]}.md", "Status: Todo", "Status: Done")
        api.update(ids[1], {"Status": {"select": {"name": "Doing"}}})
        api.update(ids[2], {"Status": {"select": {"name": "Doing"}}})
        _edit(root / f"{SECRET_TITLES[2]}.md", "Status: Todo", "Status: Done")
        exporter.clear()

        report = sync(mirror, client)
    finally:
        client.close()
        api.close()
    assert report.pushed == 1 and report.conflicts == 1

    spans = list(exporter.get_finished_spans())
    cycles = [s for s in spans if s.name == "sync.cycle"]
    assert len(cycles) == 1
    cycle = cycles[0]
    assert cycle.parent is None
    assert cycle.attributes["sync.conflicts"] == 1
    assert cycle.attributes["sync.pushed"] == 1
    phases = [s.name for s in sorted(_children(spans, cycle), key=lambda s: s.start_time)]
    assert phases == [
        "sync.capture",
        "sync.reconcile",
        "sync.observe",
        "sync.plan",
        "sync.record_intent",
        "sync.execute",
        "sync.names",
    ]
    by_name = {s.name: s for s in _children(spans, cycle)}

    # Observing reads Notion: schema and query requests are its children.
    observed = [s.name for s in _children(spans, by_name["sync.observe"])]
    assert "notion GET /v1/data_sources/{data_source_id}" in observed
    assert "notion POST /v1/data_sources/{data_source_id}/query" in observed
    # Body reads run on the pull's thread pool and still belong to this cycle.
    body_reads = [s for s in spans if s.name == "notion GET /v1/pages/{page_id}/markdown"]
    assert body_reads
    assert all(s.context.trace_id == cycle.context.trace_id for s in body_reads)

    # Executing: one span per touched page; the write and the conflict live there.
    pages = _children(spans, by_name["sync.execute"])
    assert len(pages) == 2
    events = [(e.name, dict(e.attributes or {})) for p in pages for e in p.events]
    assert ("sync.conflict", {"surface": "Status"}) in events
    assert ("sync.pushed", {"surface": "Status"}) in events
    writes = [
        s
        for p in pages
        for s in _children(spans, p)
        if s.attributes["http.request.method"] == "PATCH"
    ]
    assert [w.attributes["notion.route"] for w in writes] == ["/v1/pages/{page_id}"]

    # Each request span says what happened on the wire.
    for s in spans:
        if s.name.startswith("notion "):
            assert s.attributes["http.response.status_code"] == 200
            assert s.attributes["notion.retry_count"] == 0
            assert s.attributes["notion.rate_limit_wait_s"] >= 0

    # Never page content, file names (titles) or the token.
    dumped = json.dumps(
        [
            [
                s.name,
                dict(s.attributes or {}),
                [[e.name, dict(e.attributes or {})] for e in s.events],
            ]
            for s in spans
        ]
    )
    for secret in (*SECRET_TITLES, SECRET_BODY, emulator.token, "Doing", "Done"):
        assert secret not in dumped


def test_a_rate_limited_request_reports_its_wait_and_retry(
    exporter: InMemorySpanExporter,
) -> None:
    answers = [
        httpx.Response(
            429,
            headers={"Retry-After": "1"},
            json={"object": "error", "status": 429, "code": "rate_limited", "message": "slow"},
        ),
        httpx.Response(200, json={"object": "list", "results": [], "has_more": False}),
    ]
    client = NotionClient(
        token="secret_token_value",
        base_url="http://notion.test",
        rate_limit=None,
        sleep=lambda _s: None,
        transport=httpx.MockTransport(lambda _request: answers.pop(0)),
    )
    try:
        client.request("GET", "/v1/users")
    finally:
        client.close()
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "notion GET /v1/users"]
    assert span.attributes["notion.attempts"] == 2
    assert span.attributes["notion.retry_count"] == 1
    assert span.attributes["notion.rate_limited"] == 1
    assert span.attributes["notion.rate_limit_wait_s"] >= 1
    assert span.attributes["http.response.status_code"] == 200
    assert "secret_token_value" not in json.dumps(dict(span.attributes))


def test_an_error_marks_the_span_with_the_type_only(exporter: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError), tracing.span("work", count=3, skipped=None, bad=["x"]):
        raise ValueError("page text that must not leak")
    (span,) = exporter.get_finished_spans()
    assert dict(span.attributes) == {"count": 3, "error.type": "ValueError"}
    assert span.status.status_code.name == "ERROR"
    assert "page text" not in json.dumps([str(e.attributes) for e in span.events])


def test_in_this_span_parents_work_done_in_a_pool(exporter: InMemorySpanExporter) -> None:
    def work(n: int) -> int:
        with tracing.span("work", n=n):
            return n

    with tracing.span("phase"), ThreadPoolExecutor(max_workers=3) as pool:
        done = [pool.submit(tracing.in_this_span(work), n) for n in range(6)]
        assert sorted(f.result() for f in done) == list(range(6))
    spans = exporter.get_finished_spans()
    (phase,) = [s for s in spans if s.name == "phase"]
    assert len(_children(list(spans), phase)) == 6


def test_tracing_is_off_without_otel_variables() -> None:
    assert tracing.configure_from_env({}) is False
    assert tracing.configure_from_env({"OTEL_TRACES_EXPORTER": "none"}) is False
    assert (
        tracing.configure_from_env({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"})
        is False
    )


def test_the_cli_exports_a_command_span_when_asked(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTION", "OTEL"))}
    env["OTEL_TRACES_EXPORTER"] = "console"
    res = subprocess.run(
        [sys.executable, "-m", "notion_mirror", "config", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert res.stdout == ""  # spans go to stderr, never into --json output
    assert '"name": "notion-mirror config"' in res.stderr
    assert '"process.exit.code": 2' in res.stderr
    assert '"cli.command": "config"' in res.stderr
