"""``status``, ``diff``, ``conflicts``, ``resolve``, ``trash`` and ``restore``.

The commands a user reaches for between syncs: see what is pending, settle
conflicts, and say explicitly what a deleted file cannot (trash a page,
bring one back). All but ``trash``/``restore`` (and ``resolve`` of a page
trashed in Notion) work offline. The logic lives in ``sync.status``,
``sync.resolve`` and ``sync.lifecycle``; this module parses and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from notion_mirror.cli._common import err_console, handle_errors, make_client, print_json
from notion_mirror.cli.app import app
from notion_mirror.errors import EXIT_CONFLICT, EXIT_OK
from notion_mirror.lock import writer_lock
from notion_mirror.mirror import Mirror, open_mirror
from notion_mirror.sync import lifecycle
from notion_mirror.sync import status as status_lib
from notion_mirror.sync.resolve import KEEP_CHOICES, resolve_file

_DIR_HELP = "The mirror (default: the one containing the current directory)."


def _say(text: str) -> None:
    typer.echo(text)


def _mirror_of(arg: Path | None) -> Mirror:
    return open_mirror(arg)


# --------------------------------------------------------------------------- status


@app.command("status")
def status_cmd(
    directory: Path | None = typer.Argument(None, help=_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable document."),
) -> None:
    """Show what the next sync would send, and what is blocked or in conflict (offline).

    Exit status: 0 nothing needs you, 1 something is blocked or in conflict.

    Example: cd tasks && sed -i 's/^Status: Todo/Status: Done/' Fix*.md && notion-mirror status
    """
    with handle_errors():
        st = status_lib.status(_mirror_of(directory))
    if as_json:
        print_json(st.to_json())
    else:
        _print_status(st)
    raise typer.Exit(EXIT_CONFLICT if st.stuck else EXIT_OK)


def _print_status(st: status_lib.Status) -> None:
    _say(f"mirror: {st.root}")
    _say(f"last sync: {st.last_sync or 'never'}")
    if st.writer:
        w = st.writer
        _say(f"running: notion-mirror {w['command']} (pid {w['pid']}, since {w['since']})")
        if w.get("last_cycle"):
            _say(f"  last cycle: {w['last_cycle']}")
        if w.get("last_error"):
            _say(f"  last error: {w['last_error']}")
    if st.clean:
        _say("nothing to sync, no conflicts")
    if st.modified:
        _say("\nmodified locally (sync sends):")
        for m in st.modified:
            _say(f"  {m['path']}: {', '.join(m['surfaces'])}")
    if st.new:
        _say("\nnew files (sync creates pages):")
        for n in st.new:
            _say(f"  {n['path']}")
    if st.deleted:
        _say("\ndeleted locally (not trashed in Notion):")
        for d in st.deleted:
            _say(f"  {d['path']}")
            for note in d["notes"]:
                _say(f"    {note}")
    if st.conflicts:
        _say("\nconflicts (`notion-mirror conflicts`, then `notion-mirror resolve FILE`):")
        for c in st.conflicts:
            _say(f"  {c['path']}: {c['surface']}: {c['reason']}")
    if st.blocked:
        _say("\nblocked (not sent until fixed):")
        for b in st.blocked:
            _say(f"  {b['path']}: {b['surface']}:")
            for line in str(b["reason"]).splitlines():
                _say(f"    {line}")
    if st.pending:
        _say("\npending commands (the next sync settles them):")
        for p in st.pending:
            extra = f": {p['error']}" if p["error"] else ""
            _say(f"  #{p['id']} {p['kind']} {p['path'] or p['page_id']} ({p['status']}){extra}")
    if st.notes:
        _say("\nnotes:")
        for n in st.notes:
            _say(f"  {n['path']}: {n['note']}")


# ----------------------------------------------------------------------------- diff


@app.command("diff")
def diff_cmd(
    files: list[Path] | None = typer.Argument(
        None, help="Files to show (default: every changed file); a folder means its mirror."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable document."),
) -> None:
    """Show exactly what the next sync would send to Notion (offline).

    Properties show as `Name: <Notion's value> -> <local value>`, the body as
    a unified diff from `notion/<file>` to `local/<file>`.

    Example: notion-mirror diff "Fix login bug.md"
    """
    with handle_errors():
        mirror, rels = _diff_targets(files or [])
        diffs = status_lib.diff(mirror, rels)
    if as_json:
        print_json({"directory": str(mirror.root), "files": [d.to_json() for d in diffs]})
        raise typer.Exit(EXIT_OK)
    for i, d in enumerate(diffs):
        if i:
            _say("")
        if d.create:
            _say(f"new: {d.path} (sync creates this page)")
        else:
            _say(f"modified: {d.path}")
        for p in d.props:
            if d.create:
                _say(f"  {p.name}: {status_lib.show(p.local)}")
            else:
                _say(f"  {p.name}: {status_lib.show(p.notion)} -> {status_lib.show(p.local)}")
        if d.body:
            typer.echo(d.body, nl=not d.body.endswith("\n"))
    if not diffs:
        err_console.print("nothing to send", markup=False)
    raise typer.Exit(EXIT_OK)


def _diff_targets(files: list[Path]) -> tuple[Mirror, list[str] | None]:
    if not files:
        return open_mirror(None), None
    if len(files) == 1 and files[0].is_dir():
        return open_mirror(files[0]), None
    mirror: Mirror | None = None
    rels: list[str] = []
    for f in files:
        m, rel = lifecycle.locate_file(f)
        if mirror is not None and m.root != mirror.root:
            from notion_mirror.errors import UsageError

            raise UsageError(f"{f}: in another mirror than {files[0]}; diff one mirror at a time")
        mirror = m
        rels.append(rel)
    assert mirror is not None
    return mirror, rels


# ------------------------------------------------------------------------ conflicts


@app.command("conflicts")
def conflicts_cmd(
    directory: Path | None = typer.Argument(None, help=_DIR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable document."),
) -> None:
    """List open conflicts: file, property (or body), both values and why (offline).

    Exit status: 0 none, 1 some are open.

    Example: notion-mirror conflicts && notion-mirror resolve "Fix login bug.md" --keep remote
    """
    with handle_errors():
        mirror = _mirror_of(directory)
        views = status_lib.conflicts(mirror)
    if as_json:
        print_json({"directory": str(mirror.root), "conflicts": [v.to_json() for v in views]})
    elif not views:
        _say("no conflicts")
    else:
        for v in views:
            _say(f"{v.path or v.page_id}: {v.surface}: {v.reason}")
            if v.surface == "body":
                _say("  both sides are in the file between <<<<<<< local and >>>>>>> notion")
            else:
                _say(f"  local:  {status_lib.show(v.local)}")
                _say(f"  notion: {status_lib.show(v.notion)}")
        _say("\nsettle each file with: notion-mirror resolve FILE [--keep local|remote]")
    raise typer.Exit(EXIT_CONFLICT if views else EXIT_OK)


# -------------------------------------------------------------------------- resolve


@app.command("resolve")
def resolve_cmd(
    file: Path = typer.Argument(..., help="The conflicted page file."),
    keep: str | None = typer.Option(
        None,
        "--keep",
        help="local: your values win (sent on the next sync); remote: Notion's win. "
        "Without it, the file as you edited it is the resolution.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Settle a file's conflicts: keep your side, Notion's side, or your hand edit.

    Without --keep, edit the file first (remove the <<<<<<< ======= >>>>>>>
    markers, pick each value), then run resolve. Offline, except restoring a
    page trashed in Notion (--keep local on a trashed page).

    Example: notion-mirror resolve "Fix login bug.md" --keep local && notion-mirror sync
    """
    if keep is not None and keep not in KEEP_CHOICES:
        from notion_mirror.cli._common import fail

        raise fail(f"--keep must be one of: {', '.join(KEEP_CHOICES)}")
    with handle_errors():
        mirror, rel = lifecycle.locate_file(file)
        with writer_lock(mirror.state_dir, "resolve"):
            result = resolve_file(mirror, rel, keep, connect=make_client)
    if as_json:
        print_json(result.to_json())
        raise typer.Exit(EXIT_OK)
    if not result.resolved:
        for note in result.notes:
            _say(f"{result.path}: {note}")
        raise typer.Exit(EXIT_OK)
    _say(f"resolved {result.path}: {', '.join(result.resolved)}")
    if result.removed:
        _say("  file removed; the page stays in Notion's trash (`notion-mirror restore` undoes)")
    elif result.restored:
        _say("  page restored in Notion")
    if not result.removed:
        if result.next_sync:
            _say(f"  next sync sends: {', '.join(result.next_sync)}")
        else:
            _say("  next sync sends nothing for this page")
    for note in result.notes:
        _say(f"  {note}")
    raise typer.Exit(EXIT_OK)


# ---------------------------------------------------------------------------- trash


@app.command("trash")
def trash_cmd(
    file: Path = typer.Argument(..., help="The page file to trash."),
    force: bool = typer.Option(
        False, "--force", help="Trash even if the file or Notion has changes not synced."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Move a page to Notion's trash and remove its file.

    Deleting a file never trashes its page; this does. Refused when the file
    has edits not yet synced (or Notion changed since the last sync) unless
    --force. `notion-mirror restore` undoes it.

    Example: notion-mirror trash "Old idea.md"
    """
    with handle_errors():
        mirror, rel = lifecycle.locate_file(file)
        client = make_client(mirror)
        try:
            with writer_lock(mirror.state_dir, "trash"):
                result = lifecycle.trash_file(mirror, client, rel, force=force)
        finally:
            client.close()
    if as_json:
        print_json(result.to_json())
    else:
        verb = "already in Notion's trash" if result.already_trashed else "trashed in Notion"
        _say(f"{result.path}: {verb}" + ("; file removed" if result.removed else ""))
        for note in result.notes:
            _say(f"  {note}")
    raise typer.Exit(EXIT_OK if result.removed else EXIT_CONFLICT)


# -------------------------------------------------------------------------- restore


@app.command("restore")
def restore_cmd(
    ref: str = typer.Argument(
        ..., help="A page file, a page id or URL, or the name a trashed page's file had."
    ),
    directory: Path | None = typer.Option(
        None, "--dir", "-C", help="The mirror, when REF is a page id (default: current folder)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Take a page out of Notion's trash and give it a file again; prints the path.

    For a file edited while its page was trashed in Notion, the page is
    restored and the file kept: its edits are sent on the next sync.

    Example: notion-mirror restore "Old idea.md"   (or: notion-mirror restore <page-id>)
    """
    with handle_errors():
        mirror, page_id, rel = lifecycle.find_restore_target(ref, directory=directory)
        client = make_client(mirror)
        try:
            with writer_lock(mirror.state_dir, "restore"):
                result = lifecycle.restore(mirror, client, page_id, rel)
        finally:
            client.close()
    if as_json:
        out: dict[str, Any] = result.to_json()
        out["directory"] = str(mirror.root)
        print_json(out)
    else:
        if result.path:
            typer.echo(result.path)
        for note in result.notes:
            err_console.print(f"  {note}", markup=False)
    raise typer.Exit(EXIT_OK)
