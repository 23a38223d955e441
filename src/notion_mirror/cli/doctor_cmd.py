"""``doctor``: check a mirror's health, say what to do, and fix what is safe to fix."""

from __future__ import annotations

from pathlib import Path

import typer

from notion_mirror.cli._common import handle_errors, make_client, print_json
from notion_mirror.cli.app import app
from notion_mirror.doctor import SEVERITIES, DoctorReport, diagnose
from notion_mirror.errors import EXIT_CONFLICT, EXIT_OK


def _print(report: DoctorReport) -> None:
    typer.echo(f"mirror: {report.root}")
    for line in report.repairs:
        typer.echo(f"repaired: {line}")
    for severity in SEVERITIES:
        for f in report.findings:
            if f.severity != severity:
                continue
            typer.echo(f"{severity:<8}{f.message}")
            if f.fix:
                typer.echo(f"{'':<8}  fix: {f.fix}")
    counts = ", ".join(f"{report.count(s)} {s}(s)" for s in SEVERITIES)
    verdict = "healthy" if report.ok else "needs attention"
    typer.echo(f"{verdict}: {counts}")


@app.command("doctor")
def doctor_cmd(
    directory: Path | None = typer.Argument(
        None, help="The mirror (default: the one containing the current directory)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable document."),
    repair: bool = typer.Option(
        False,
        "--repair",
        help="Fix what is safe: stale temp files, fingerprints of unchanged files, "
        "an older state database. Says what it did.",
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Skip the Notion checks (token, sharing, capabilities)."
    ),
) -> None:
    """Check the mirror: state database, binding, files vs state, leftovers, and Notion access.

    Every finding has a severity (error, warning, info) and a suggested fix.
    Exit status: 0 no errors, 1 errors found, 2 not a mirror folder.

    Example: notion-mirror doctor tasks/ --offline && notion-mirror doctor tasks/ --repair
    """
    with handle_errors():
        report = diagnose(directory, repair=repair, offline=offline, connect=make_client)
    if as_json:
        print_json(report.to_json())
    else:
        _print(report)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_CONFLICT)
