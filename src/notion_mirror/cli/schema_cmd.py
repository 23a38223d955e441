"""``schema``: see the data source's schema and change it safely (guarded by the
schema hash the mirror stored at its last sync; see docs/schema.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import typer

from notion_mirror.cli._common import err_console, handle_errors, make_client, print_json
from notion_mirror.cli.app import app
from notion_mirror.errors import EXIT_OK
from notion_mirror.lock import writer_lock
from notion_mirror.mirror import open_mirror
from notion_mirror.schema import edit

schema_app = typer.Typer(
    help="See and change the data source's schema (guarded; files follow).\n\n"
    "Without a subcommand: the same as `schema show`.\n\n"
    "Example: notion-mirror schema add-option Priority Urgent --dry-run",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(schema_app, name="schema")

_DIR = typer.Option(None, "--dir", "-C", help="The mirror (default: the current folder).")
_JSON = typer.Option(False, "--json", help="Print a machine-readable document.")
_DRY = typer.Option(False, "--dry-run", help="Check and show the request; write nothing.")


def _show(doc: dict[str, Any]) -> None:
    typer.echo(f"{doc['title'] or '(untitled)'}  ({doc['data_source_id']})")
    if doc["description"]:
        typer.echo(f"  {doc['description']}")
    for p in doc["properties"]:
        flag = "" if p["writable"] else f"  read-only: {p['read_only_reason']}"
        typer.echo(f"  {p['name']}  [{p['type']}]  id={p['id']}{flag}")
        for o in p.get("options") or []:
            typer.echo(f"      - {o['name']} ({o['color']})")
    if not doc["synced"]:
        err_console.print(
            "the schema changed in Notion since the last sync; run `notion-mirror sync`",
            markup=False,
        )


def _run(
    directory: Path | None,
    build: Callable[[Mapping[str, Any]], edit.Change],
    *,
    dry_run: bool,
    as_json: bool,
) -> None:
    with handle_errors():
        mirror = open_mirror(directory)
        client = make_client()
        try:
            with writer_lock(mirror.state_dir, "schema"):
                result = edit.apply(mirror, client, build, dry_run=dry_run)
        finally:
            client.close()
    if as_json:
        out = result.to_json()
        out["directory"] = str(mirror.root)
        print_json(out)
        raise typer.Exit(EXIT_OK)
    if dry_run:
        err_console.print(f"would {result.change}; nothing written", markup=False)
    elif not result.applied:
        err_console.print(f"nothing to do: {result.change}", markup=False)
    else:
        err_console.print(f"done: {result.change}", markup=False)
        pull = result.pull or {}
        changed = sum(len(pull.get(k) or []) for k in ("created", "updated", "renamed"))
        waiting = pull.get("local_edits") or []
        err_console.print(f"  files updated: {changed}", markup=False)
        for path in waiting:
            err_console.print(
                f"  edited locally, follows on the next `notion-mirror sync`: {path}",
                markup=False,
            )
    raise typer.Exit(EXIT_OK)


@schema_app.callback()
def _schema_root(ctx: typer.Context, directory: Path | None = _DIR, as_json: bool = _JSON) -> None:
    """Without a subcommand: the same as `schema show`."""
    if ctx.invoked_subcommand is None:
        show_cmd(directory=directory, as_json=as_json)


@schema_app.command("show")
def show_cmd(directory: Path | None = _DIR, as_json: bool = _JSON) -> None:
    """The properties as Notion has them now: ids, types, options, and which are writable.

    Example: notion-mirror schema show --json
    """
    with handle_errors():
        mirror = open_mirror(directory)
        client = make_client()
        try:
            raw = client.retrieve_data_source(mirror.config.data_source_id).raw
        finally:
            client.close()
        with mirror.open_store() as store:
            stored = store.get_meta("schema_hash")
    doc = edit.describe(raw, stored)
    if as_json:
        print_json(doc)
    else:
        _show(doc)
    raise typer.Exit(EXIT_OK)


@schema_app.command("add-property")
def add_property_cmd(
    name: str = typer.Argument(..., help="The new property's name."),
    kind: str = typer.Option(..., "--type", help=f"One of: {', '.join(edit.CREATABLE_TYPES)}."),
    option: list[str] = typer.Option(
        [], "--option", help="An option of a select/multi_select (repeatable)."
    ),
    directory: Path | None = _DIR,
    dry_run: bool = _DRY,
    as_json: bool = _JSON,
) -> None:
    """Add a property to the data source; every file gets its line.

    Example: notion-mirror schema add-property Priority --type select --option Low --option High
    """
    _run(directory, lambda raw: edit.add_property(raw, name, kind, option),
         dry_run=dry_run, as_json=as_json)  # fmt: skip


@schema_app.command("rename-property")
def rename_property_cmd(
    old: str = typer.Argument(..., help="The property's current name (or id)."),
    new: str = typer.Argument(..., help="Its new name."),
    directory: Path | None = _DIR,
    dry_run: bool = _DRY,
    as_json: bool = _JSON,
) -> None:
    """Rename a property (by id, so values and pending edits stay with it).

    Example: notion-mirror schema rename-property Status State
    """
    _run(directory, lambda raw: edit.rename_property(raw, old, new),
         dry_run=dry_run, as_json=as_json)  # fmt: skip


@schema_app.command("add-option")
def add_option_cmd(
    prop: str = typer.Argument(..., help="A select or multi_select property."),
    option: str = typer.Argument(..., help="The option to add."),
    color: str | None = typer.Option(None, "--color", help=", ".join(edit.OPTION_COLORS)),
    directory: Path | None = _DIR,
    dry_run: bool = _DRY,
    as_json: bool = _JSON,
) -> None:
    """Add an option to a select or multi_select (status options: add them in Notion).

    Example: notion-mirror schema add-option Priority Urgent --color red
    """
    _run(directory, lambda raw: edit.add_option(raw, prop, option, color),
         dry_run=dry_run, as_json=as_json)  # fmt: skip


@schema_app.command("set-title")
def set_title_cmd(
    title: str = typer.Argument(..., help="The data source's new title."),
    directory: Path | None = _DIR,
    dry_run: bool = _DRY,
    as_json: bool = _JSON,
) -> None:
    """Set the data source's title.

    Example: notion-mirror schema set-title "Tasks (2026)"
    """
    _run(directory, lambda raw: edit.set_title(raw, title), dry_run=dry_run, as_json=as_json)


@schema_app.command("set-description")
def set_description_cmd(
    text: str = typer.Argument(..., help="The data source's new description ('' clears it)."),
    directory: Path | None = _DIR,
    dry_run: bool = _DRY,
    as_json: bool = _JSON,
) -> None:
    """Set the data source's description.

    Example: notion-mirror schema set-description "Everything the team is working on"
    """
    _run(directory, lambda raw: edit.set_description(raw, text),
         dry_run=dry_run, as_json=as_json)  # fmt: skip


def _refuse(what: str) -> None:
    """Nothing is read or written: the change is not one this tool makes."""
    with handle_errors():
        raise edit.refuse_destructive(what)


@schema_app.command("delete-property", hidden=False)
def delete_property_cmd(
    name: str = typer.Argument(..., help="The property."), directory: Path | None = _DIR
) -> None:
    """Refused: deleting a property loses its values; do it in Notion.

    Example: notion-mirror schema delete-property Estimate   # exits 2 with the reason
    """
    _refuse(f"deleting property {name!r}")


@schema_app.command("change-type")
def change_type_cmd(
    name: str = typer.Argument(..., help="The property."),
    kind: str = typer.Argument(..., help="The new type."),
    directory: Path | None = _DIR,
) -> None:
    """Refused: a type change can lose values; do it in Notion.

    Example: notion-mirror schema change-type Estimate rich_text   # exits 2 with the reason
    """
    _refuse(f"changing the type of {name!r} to {kind}")


@schema_app.command("remove-option")
def remove_option_cmd(
    prop: str = typer.Argument(..., help="The property."),
    option: str = typer.Argument(..., help="The option."),
    directory: Path | None = _DIR,
) -> None:
    """Refused: removing an option clears it from pages; do it in Notion.

    Example: notion-mirror schema remove-option Priority Low   # exits 2 with the reason
    """
    _refuse(f"removing option {option!r} from {prop!r}")


@schema_app.command("rename-option")
def rename_option_cmd(
    prop: str = typer.Argument(..., help="The property."),
    old: str = typer.Argument(..., help="The option."),
    new: str = typer.Argument(..., help="Its new name."),
    directory: Path | None = _DIR,
) -> None:
    """Refused: renaming an option changes every page using it; do it in Notion.

    Example: notion-mirror schema rename-option Priority Low Minor   # exits 2 with the reason
    """
    _refuse(f"renaming option {old!r} of {prop!r} to {new!r}")
