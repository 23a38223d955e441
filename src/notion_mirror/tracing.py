"""OpenTelemetry spans: the CLI command, each sync cycle and its phases, each
Notion request, and each conflict or blocked change.

Off by default. The product depends only on ``opentelemetry-api``, whose
tracer is a no-op until a tracer provider is installed. The CLI installs one
from the standard environment variables when ``opentelemetry-sdk`` is present
(``pip install 'notion-mirror[tracing]'``)::

    OTEL_TRACES_EXPORTER=console notion-mirror sync          # spans as JSON on stderr
    OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 notion-mirror sync

``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none`` keeps it off;
``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES`` are honoured by the SDK.

Warning: attributes carry only counts, ids, route templates, status codes,
surface (property) names and timings — never page content, file names
(a file name is a page title), request bodies or the token. Callers pass
attributes through :func:`span`, which drops anything that is not a plain
scalar.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

try:  # the API is a dependency; stay importable if an old venv lacks it
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover
    _trace = None  # type: ignore[assignment]

__all__ = ["TRACER_NAME", "configure_from_env", "current_span", "event", "in_this_span", "span"]

TRACER_NAME = "notion_mirror"

_Scalar = (str, bool, int, float)


class _NoSpan:
    """Stands in for a span when the API is not installed."""

    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def add_event(self, name: str, attributes: Any = None) -> None:
        pass

    def update_name(self, name: str) -> None:
        pass

    def is_recording(self) -> bool:
        return False


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if v is not None and isinstance(v, _Scalar)}


def _tracer() -> Any:
    from notion_mirror import __version__

    return _trace.get_tracer(TRACER_NAME, __version__)


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[Any]:
    """A span around the block, current for its duration (a no-op without an SDK).

    An exception marks the span as an error with the exception's type only:
    messages can quote page content, so they are not recorded.
    """
    if _trace is None:
        yield _NoSpan()
        return
    with _tracer().start_as_current_span(
        name,
        attributes=_clean(attributes),
        record_exception=False,
        set_status_on_exception=False,
    ) as s:
        try:
            yield s
        except BaseException as exc:
            if not _benign(exc):
                s.set_attribute("error.type", type(exc).__name__)
                s.set_status(_trace.Status(_trace.StatusCode.ERROR))
            raise


def _benign(exc: BaseException) -> bool:
    """Exits with code 0 (``typer.Exit()``, ``sys.exit(0)``) are not errors."""
    code = getattr(exc, "exit_code", getattr(exc, "code", None))
    return isinstance(exc, SystemExit | _click_exit()) and code in (0, None)


def _click_exit() -> type:
    try:
        import typer

        return typer.Exit
    except ImportError:  # pragma: no cover
        return SystemExit


def current_span() -> Any:
    return _NoSpan() if _trace is None else _trace.get_current_span()


def event(name: str, **attributes: Any) -> None:
    """An event on the current span (a conflict, a guard that held a write back)."""
    if _trace is not None:
        _trace.get_current_span().add_event(name, _clean(attributes))


def in_this_span(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, run in the span current now, from whichever thread calls it.

    Worker threads start with an empty context, so spans they open would be
    roots of their own traces: ``pool.submit(tracing.in_this_span(read), page)``
    keeps a pool's requests under the phase that started them.
    """
    if _trace is None:
        return fn
    from opentelemetry import context

    parent = context.get_current()

    def run(*args: Any, **kwargs: Any) -> Any:
        token = context.attach(parent)
        try:
            return fn(*args, **kwargs)
        finally:
            context.detach(token)

    return run


# ------------------------------------------------------------------ configuring


def _exporter_names(environ: Mapping[str, str]) -> list[str]:
    raw = environ.get("OTEL_TRACES_EXPORTER")
    if raw is None:
        # The SDK's default is "otlp"; only pick it when an endpoint says where.
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        return ["otlp"] if endpoint else []
    return [n.strip().lower() for n in raw.split(",") if n.strip() and n.strip() != "none"]


def _exporter(name: str) -> Any:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        # stdout carries --json output: spans go to stderr.
        return ConsoleSpanExporter(out=sys.stderr)
    if name == "otlp":
        protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
        )
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        return OTLPSpanExporter()
    raise ValueError(f"unsupported OTEL_TRACES_EXPORTER {name!r} (console, otlp, none)")


def configure_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Install an SDK tracer provider when the OTEL variables ask for spans.

    Returns whether tracing is on. Never fails the command: a missing SDK or
    exporter package is one warning on stderr.
    """
    env = os.environ if environ is None else environ
    if _trace is None or env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    names = _exporter_names(env)
    if not names:
        return False
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        exporters = [(n, _exporter(n)) for n in names]
    except (ImportError, ValueError) as exc:
        hint = "pip install 'notion-mirror[tracing]'" if isinstance(exc, ImportError) else ""
        sys.stderr.write(f"warning: tracing is off: {exc} {hint}\n".rstrip() + "\n")
        return False
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", "notion-mirror")})
    provider = TracerProvider(resource=resource)
    for name, exporter in exporters:
        processor = SimpleSpanProcessor if name == "console" else BatchSpanProcessor
        provider.add_span_processor(processor(exporter))
    # The SDK flushes and shuts the provider down at interpreter exit.
    _trace.set_tracer_provider(provider)
    return True
