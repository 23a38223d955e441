"""What every command shares: the client from the environment, errors to exit
codes, progress on stderr, and JSON or one-line summaries."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from notion_mirror.errors import EXIT_CONFLICT, EXIT_USAGE, MirrorError, UsageError

__all__ = [
    "QUIET_ENV",
    "err_console",
    "fail",
    "handle_errors",
    "make_client",
    "print_json",
    "progress_bar",
    "set_quiet",
]

# ``--quiet`` sets it for the process (and its children, e.g. a mount's daemon).
QUIET_ENV = "NOTION_MIRROR_QUIET"


class _Stderr(Console):
    """stderr: summaries through ``print`` (silenced by ``--quiet``), errors
    through ``error`` (always shown). Colour follows rich: off when stderr is
    not a terminal, and off whenever ``NO_COLOR`` is set."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if os.environ.get(QUIET_ENV) == "1":
            return
        super().print(*objects, **kwargs)

    def error(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*objects, **kwargs)


# soft_wrap: paths and error messages must stay on one line for grep and copy-paste.
err_console = _Stderr(stderr=True, highlight=False, soft_wrap=True)


def set_quiet(quiet: bool) -> None:
    """Silence (or restore) the non-error summaries on stderr; errors still show."""
    if quiet:
        os.environ[QUIET_ENV] = "1"
    else:
        os.environ.pop(QUIET_ENV, None)


def make_client(mirror: Any = None) -> Any:
    """The client from the environment (and the mirror's options, when given).

    The rate limit is ``NOTION_MIRROR_RATE_LIMIT``, else the mirror's
    ``[options] rate_limit``, else Notion's 3 requests/s (see ``config``).
    """
    from notion_mirror.notion import NotionClient
    from notion_mirror.settings import RATE_ENV, effective, values

    if mirror is not None:
        rate = float(values(effective(mirror))["rate_limit"])
    else:
        raw = os.environ.get(RATE_ENV)
        if raw is None:
            return NotionClient()
        try:
            rate = float(raw)
            if rate <= 0:
                raise ValueError
        except ValueError:
            raise UsageError(f"{RATE_ENV} must be a positive number, not {raw!r}") from None
    return NotionClient(rate_limit=rate, burst=max(3, int(rate)))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err_console.error(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Map library errors to a message on stderr and the family's exit code."""
    try:
        yield
    except MirrorError as exc:
        err_console.error("error:", str(exc), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.error("interrupted", style="yellow")
        raise typer.Exit(130) from None
    except OSError as exc:
        # The local disk or folder failed (full, read-only, permissions). Files
        # are written atomically and state advances only after success, so the
        # next run after the fix starts from a consistent point.
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.error(
            "error:",
            f"{where}{exc.strerror or exc}; nothing was lost, run the command again once fixed",
            style="red",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_CONFLICT) from None


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int | None], None] | None]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled or not err_console.is_terminal or os.environ.get(QUIET_ENV) == "1":
        yield None
        return
    labels = {"query": "Listing pages", "read": "Reading pages", "write": "Writing files"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int | None = None) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(labels.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update
