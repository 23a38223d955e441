"""``emulator``: serve a local Notion API for tests, demos and benchmarks."""

from __future__ import annotations

import typer

from notion_mirror.cli.app import app


@app.command("emulator")
def emulator_cmd(
    host: str = typer.Option(
        "127.0.0.1", help="Interface to listen on (loopback only by default)."
    ),
    port: int = typer.Option(0, help="TCP port; 0 picks a free one."),
    token: str | None = typer.Option(None, help="Bearer token to accept (default: generated)."),
    data: str | None = typer.Option(None, help="Workspace file to load and persist to."),
    rate_limit: float | None = typer.Option(None, "--rate-limit", help="Requests per second."),
    latency: float = typer.Option(0, help="Added latency per request, in milliseconds."),
    faults: str = typer.Option("", help="Fault spec, e.g. '429:0.1,reset:0.05'."),
    seed: int = typer.Option(0, help="Seed for the fault RNG."),
    query_lag: float = typer.Option(
        0.0, "--query-lag", help="Seconds new pages stay out of queries."
    ),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback host."),
) -> None:
    """Run a local Notion API emulator; prints one JSON line with base_url, token, root_page_id.

    Example: notion-mirror emulator --port 0 --rate-limit 3 --faults '503:0.05'
    """
    from notion_mirror.emulator import EmulatorOptions, serve
    from notion_mirror.emulator.realism import parse_faults

    try:
        parse_faults(faults)
    except ValueError as exc:
        typer.echo(f"error: --faults: {exc}", err=True)
        raise typer.Exit(2) from None
    options = EmulatorOptions(
        host=host,
        port=port,
        token=token,
        data=data,
        rate_limit=rate_limit,
        latency_ms=latency,
        faults=faults,
        seed=seed,
        query_lag=query_lag,
        allow_remote=allow_remote,
    )
    raise typer.Exit(serve(options))
