"""docs/cli.md against the CLI itself, and the global flags every command shares.

The contract: every registered command (walking the Typer/Click tree) has a
section in docs/cli.md naming each of its options, its docstring has an
``Example:`` that the section repeats, and its ``--help`` shows it. Then
``--version``, ``--verbose``, ``--quiet`` and ``NO_COLOR`` as a user runs them.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from notion_mirror import __version__
from notion_mirror.cli.app import app
from notion_mirror.testing import EmulatorHandle
from tests.e2e.test_cli_pull import base_env, run
from tests.helpers import NotionAPI, title

REPO = Path(__file__).resolve().parents[2]
CLI_DOC = REPO / "docs" / "cli.md"
REGENERATE = "; regenerate it: .venv/bin/python -m tests.e2e.test_cli_docs"


def _commands() -> Iterator[tuple[str, Any]]:
    """``("schema add-option", command)`` for every registered command, root excluded."""

    def walk(cmd: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        if path:
            yield " ".join(path), cmd
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


COMMANDS = dict(_commands())


def _options(cmd: Any) -> list[str]:
    return [
        opt
        for p in cmd.params
        if p.param_type_name == "option"
        for opt in (*p.opts, *p.secondary_opts)
    ]


def _sections() -> dict[str, str]:
    """docs/cli.md split at its ``### `notion-mirror NAME``` headings."""
    text = CLI_DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `notion-mirror ([^`]+)`\s*$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def _example(cmd: Any) -> str:
    help_text = cmd.help or ""
    match = re.search(r"^\s*Example:(.*?)(?:\n\s*\n|\Z)", help_text, flags=re.MULTILINE | re.S)
    assert match, "no Example: paragraph"
    return " ".join(match.group(1).replace("\\[", "[").split())


def test_the_tree_is_what_the_docs_expect() -> None:
    # A guard on the walk itself: if it found nothing, every test below would pass.
    assert {"track", "sync", "watch", "mount", "schema", "schema add-option"} <= set(COMMANDS)
    assert len(COMMANDS) >= 25


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_an_example_in_its_docstring(name: str) -> None:
    help_text = COMMANDS[name].help or ""
    assert re.search(r"^\s*Example: \S", help_text, flags=re.MULTILINE), (
        f"`notion-mirror {name}`: add an 'Example: ...' line to its docstring"
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_docs_cli_md_covers_every_command_and_option(name: str) -> None:
    sections = _sections()
    assert name in sections, f"docs/cli.md has no section '### `notion-mirror {name}`'" + REGENERATE
    section = sections[name]
    assert f"notion-mirror {name}" in section, "the section has no synopsis"
    for opt in _options(COMMANDS[name]):
        assert re.search(rf"`[^`]*(?<![\w-]){re.escape(opt)}(?![\w-])[^`]*`", section), (
            f"docs/cli.md, `notion-mirror {name}`: option {opt} is not documented" + REGENERATE
        )
    example = _example(COMMANDS[name])
    assert example in " ".join(section.split()), (
        f"docs/cli.md, `notion-mirror {name}`: the example differs from --help: {example}"
        + REGENERATE
    )


def test_docs_cli_md_has_no_stale_sections() -> None:
    stale = set(_sections()) - set(COMMANDS)
    assert not stale, (
        f"docs/cli.md documents commands that do not exist: {sorted(stale)}" + REGENERATE
    )


def test_docs_cli_md_covers_the_global_options_and_completion() -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    for opt in _options(typer.main.get_command(app)):
        assert f"`{opt}`" in text, f"docs/cli.md: global option {opt} is not documented"
    for needle in ("NO_COLOR", "--install-completion", "--show-completion", "OTEL_"):
        assert needle in text


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_shows_the_example(name: str) -> None:
    res = CliRunner().invoke(app, [*name.split(), "--help"], env={"NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    assert "Example:" in res.output
    for opt in _options(COMMANDS[name]):
        assert opt in res.output


# ------------------------------------------------------------------ global flags


def test_version() -> None:
    res = run(["--version"], base_env())
    assert res.returncode == 0
    assert res.stdout.strip() == f"notion-mirror {__version__}"


def test_no_color_is_honoured(tmp_path: Path) -> None:
    env = base_env()
    env.pop("NO_COLOR")
    env["FORCE_COLOR"] = "1"  # rich: behave as on a terminal
    coloured = run(["config", str(tmp_path)], env)
    assert coloured.returncode == 2
    assert "\x1b[" in coloured.stderr, "the control run should be coloured"

    env["NO_COLOR"] = "1"
    plain = run(["config", str(tmp_path)], env)
    assert plain.returncode == 2
    assert "\x1b[" not in plain.stderr
    assert "error: not a notion-mirror folder" in plain.stderr


def test_verbose_and_quiet_together_is_a_usage_error() -> None:
    res = run(["--verbose", "--quiet", "--version"], base_env())
    # --version is eager: it wins before the callback checks the pair.
    assert res.returncode == 0
    res = run(["-v", "-q", "status"], base_env())
    assert res.returncode == 2
    assert "cannot be combined" in res.stderr


@pytest.fixture
def tracked(tmp_path: Path, emulator: EmulatorHandle) -> Iterator[tuple[Path, dict[str, str]]]:
    api = NotionAPI(emulator)
    try:
        db, ds = api.create_data_source(
            {"Name": {"title": {}}, "Estimate": {"number": {"format": "number"}}}
        )
        api.add_page(ds, title("Alpha"), "About Alpha.")
    finally:
        api.close()
    env = base_env()
    env["NOTION_API_BASE_URL"] = emulator.base_url
    env["NOTION_API_TOKEN"] = emulator.token
    env["NOTION_MIRROR_RATE_LIMIT"] = "50"
    root = tmp_path / "tasks"
    res = run(["track", db, str(root)], env)
    assert res.returncode == 0, res.stderr
    yield root, env


def _edit(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Estimate: null", "Estimate: 3"), encoding="utf-8")


def test_quiet_keeps_data_and_errors_and_drops_summaries(
    tracked: tuple[Path, dict[str, str]],
) -> None:
    root, env = tracked
    _edit(root / "Alpha.md")
    loud = run(["diff"], env, cwd=root)
    assert loud.returncode == 0, loud.stderr
    quiet = run(["--quiet", "diff"], env, cwd=root)
    assert quiet.stdout == loud.stdout and "Estimate" in quiet.stdout  # data stays

    res = run(["-q", "sync"], env, cwd=root)
    assert res.returncode == 0
    assert res.stderr == ""
    res = run(["sync"], env, cwd=root)
    assert res.returncode == 0
    assert res.stderr.strip(), "without --quiet, sync prints its summary"

    res = run(["-q", "sync", "--json"], env, cwd=root)
    assert res.returncode == 0 and res.stdout.startswith("{") and res.stderr == ""

    # Errors still show.
    res = run(["--quiet", "trash", "Nope.md"], env, cwd=root)
    assert res.returncode == 2
    assert "error:" in res.stderr


def test_verbose_logs_requests_without_the_token(
    tracked: tuple[Path, dict[str, str]],
) -> None:
    root, env = tracked
    res = run(["--verbose", "sync"], env, cwd=root)
    assert res.returncode == 0, res.stderr
    assert "DEBUG notion_mirror.notion: send GET /v1/data_sources/{data_source_id}" in res.stderr
    assert "status=200" in res.stderr
    assert env["NOTION_API_TOKEN"] not in res.stderr
    quiet_run: subprocess.CompletedProcess[str] = run(["sync"], env, cwd=root)
    assert "DEBUG" not in quiet_run.stderr


# ------------------------------------------------------------------ regenerating
#
# The command sections of docs/cli.md are generated from the CLI itself:
#     .venv/bin/python -m tests.e2e.test_cli_docs      # rewrites the marked block
# The tests above are the contract; the generator is a convenience.

BEGIN = "<!-- BEGIN GENERATED: python -m tests.e2e.test_cli_docs -->"
END = "<!-- END GENERATED -->"
ORDER = [
    "track", "sync", "status", "diff", "conflicts", "resolve", "trash", "restore", "new",
    "watch", "mount", "schema", "show", "add-property", "rename-property", "add-option",
    "set-title", "set-description", "config", "doctor", "emulator", "demo",
]  # fmt: skip


def _metavar(kind: str) -> str:
    kind = kind.lower()
    if "path" in kind:
        return "PATH"
    if "float" in kind:
        return "NUMBER"
    return "N" if "int" in kind else "TEXT"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """The generated part of docs/cli.md: a command table, then one section each."""
    from typer._click.core import Context  # typer vendors click

    def walk(cmd: Any, path: list[str], parent: Any) -> Iterator[tuple[list[str], Any, Any]]:
        ctx = Context(cmd, info_name=path[-1] if path else "notion-mirror", parent=parent)
        if path:
            yield path, cmd, ctx
        subs = getattr(cmd, "commands", {})
        for name in sorted(subs, key=lambda n: (ORDER.index(n) if n in ORDER else 99, n)):
            yield from walk(subs[name], [*path, name], ctx)

    table = ["| command | what it does |", "| --- | --- |"]
    out: list[str] = []
    for path, cmd, ctx in walk(typer.main.get_command(app), [], None):
        name = " ".join(path)
        synopsis = ["[OPTIONS]"]
        for p in cmd.params:
            if p.param_type_name == "argument":
                mv = p.metavar or p.name.upper() + ("..." if p.nargs == -1 else "")
                synopsis.append(mv if p.required else f"[{mv}]")
        if getattr(cmd, "commands", None):
            synopsis.append("COMMAND [ARGS]...")
        paragraphs = (cmd.help or "").replace("\\[", "[").strip().split("\n\n")
        summary = " ".join(paragraphs[0].split())
        table.append(f"| [`{name}`](#notion-mirror-{name.replace(' ', '-')}) | {summary} |")
        out += [f"### `notion-mirror {name}`", "", "```text"]
        out += [f"notion-mirror {name} {' '.join(synopsis)}", "```", "", summary, ""]
        for para in paragraphs[1:]:
            if not para.strip().startswith("Example:"):
                out += [" ".join(para.split()), ""]
        rows = []
        for p in cmd.params:
            if p.param_type_name == "argument":
                mv = p.metavar or p.name.upper()
                rows.append((mv, (p.help or "") + ("" if p.required else " Optional.")))
        for p in cmd.params:
            if p.param_type_name == "option":
                record = p.get_help_record(ctx)[0]
                record = re.sub(r"<([^>]+)>", lambda m: _metavar(m.group(1)), record)
                rows.append((record, (p.help or "").replace("\\[", "[")))
        if rows:
            out += ["| argument / option | meaning |", "| --- | --- |"]
            out += [f"| `{a}` | {_cell(b)} |" for a, b in rows]
            out.append("")
        out += ["Example:", "", "```sh", _example(cmd), "```", ""]
    return "\n".join([*table, "", *out]).rstrip() + "\n"


def write_doc() -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    CLI_DOC.write_text(f"{head}{BEGIN}\n\n{render()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    write_doc()
