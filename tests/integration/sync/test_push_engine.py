"""The push half of ``sync`` at library level, against the emulator over real HTTP.

Each test builds a small mirror with :func:`track`, edits files the way users
and tools do, runs :func:`notion_mirror.sync.engine.sync` and then checks three
witnesses independently of the engine: Notion's state (raw HTTP reads through
:class:`tests.helpers.NotionAPI`), the request counters of the emulator, and
the bytes on disk.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from notion_mirror.codec import document
from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient, Page
from notion_mirror.sync.engine import SyncOptions, SyncReport, sync
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title, tree

SCHEMA: dict[str, Any] = {
    "Name": {"title": {}},
    "Status": {
        "status": {
            "options": [
                {"name": "Todo", "group": "To-do"},
                {"name": "In progress", "group": "In progress"},
                {"name": "Done", "group": "Complete"},
            ]
        }
    },
    "Estimate": {"number": {"format": "number"}},
    "Priority": {"select": {"options": [{"name": "Low"}, {"name": "High"}]}},
    "Due": {"date": {}},
    "Effort": {"formula": {"expression": 'prop("Estimate") * 2'}},
}

BODY = "Para one.\n\nPara two.\n\nPara three."

# Routes that change something in Notion (docs/emulator.md: every POST except
# query and search, every PATCH and DELETE).
READ_ONLY_POSTS = ("/query", "/v1/search")


def writes(stats: dict[str, Any]) -> dict[str, int]:
    """The write requests among the emulator's counters, ``{"PATCH /v1/...": n}``."""
    out = {}
    for route, n in stats["requests"].items():
        method, _, path = route.partition(" ")
        if method in ("PATCH", "DELETE") or (
            method == "POST" and not path.endswith(READ_ONLY_POSTS)
        ):
            out[route] = n
    return out


PATCH_PAGE = "PATCH /v1/pages/{page_id}"
PATCH_BODY = "PATCH /v1/pages/{page_id}/markdown"
POST_PAGE = "POST /v1/pages"


def frontmatter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), text[:80]
    return yaml.safe_load(text.split("---\n")[1])


def body_of(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---\n", 2)[2]


def edit(path: Path, pattern: str, repl: str) -> None:
    """``sed -i``: one regex substitution (must match) on a file, written in place."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, repl, text, count=1, flags=re.MULTILINE)
    assert n == 1, f"{pattern!r} not found in {path}"
    path.write_text(new, encoding="utf-8")


def line_of(data: bytes, pattern: str) -> int:
    """1-based line of the first line matching ``pattern``."""
    for i, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if re.search(pattern, line):
            return i
    raise AssertionError(f"{pattern!r} not in file")


# ------------------------------------------------------------------ remote side


def remote(api: NotionAPI, page_id: str) -> dict[str, Any]:
    """Notion's current values of the test schema, as plain Python, plus metadata."""
    page = api.call("GET", f"/v1/pages/{page_id}")
    p = page["properties"]
    return {
        "Name": "".join(t["plain_text"] for t in p["Name"]["title"]),
        "Status": (p["Status"]["status"] or {}).get("name"),
        "Estimate": p["Estimate"]["number"],
        "Priority": (p["Priority"]["select"] or {}).get("name"),
        "Due": (p["Due"]["date"] or {}).get("start"),
        "last_edited_time": page["last_edited_time"],
        "in_trash": page["in_trash"],
    }


def remote_body(api: NotionAPI, page_id: str) -> str:
    return str(api.call("GET", f"/v1/pages/{page_id}/markdown")["markdown"])


def paragraphs(markdown: str) -> list[str]:
    """The non-blank lines of a body: Notion separates blocks with one newline, the
    file with a blank line, so bodies are compared by their blocks."""
    return [line for line in markdown.splitlines() if line.strip()]


def query_ids(api: NotionAPI, ds_id: str) -> list[str]:
    res = api.call("POST", f"/v1/data_sources/{ds_id}/query", {"page_size": 100})
    return sorted(r["id"] for r in res["results"])


# ------------------------------------------------------------------ fixtures


@dataclass
class World:
    """A settled mirror of three pages ``Task 1``..``Task 3`` (Todo, Estimate 1..3)."""

    api: NotionAPI
    client: Any
    root: Path
    ds_id: str
    ids: dict[str, str]  # file name -> page id

    def path(self, name: str) -> Path:
        return self.root / name

    def sync(self, client: Any = None, **options: Any) -> SyncReport:
        return sync(open_mirror(self.root), client or self.client, SyncOptions(**options))

    def later(self, seconds: float = 120) -> None:
        """Move Notion's clock on, so edits land in a later minute than the last read."""
        self.api.advance_clock(seconds)


def make_world(
    api: NotionAPI, client: Any, root: Path, *, mode: str = "shared", pages: int = 3
) -> World:
    db_id, ds_id = api.create_data_source(SCHEMA)
    ids = {}
    for i in range(1, pages + 1):
        ids[f"Task {i}.md"] = api.add_page(
            ds_id,
            {
                **title(f"Task {i}"),
                "Status": {"status": {"name": "Todo"}},
                "Estimate": {"number": i},
            },
            BODY,
        )
    track(client, db_id, root, mode=mode)
    world = World(api, client, root, ds_id, ids)
    # Settle: the re-reads track owes for edits in its own minute happen now,
    # so what the tests count afterwards is the push itself.
    world.later()
    report = world.sync()
    assert report.converged and not report.pages
    world.later()
    return world


@pytest.fixture
def world(api: NotionAPI, client: NotionClient, tmp_path: Path) -> World:
    return make_world(api, client, tmp_path / "m")


def all_text(report: SyncReport) -> str:
    """Everything the report says about pages, one line per item, as the CLI shows it."""
    lines = []
    for p in report.pages:
        lines += [f"{p.path}: blocked {s}: {r}" for s, r in p.blocked]
        lines += [f"{p.path}: conflict {c.surface}: {c.reason}" for c in p.conflicts]
        lines += [f"{p.path}: {n}" for n in p.notes]
    return "\n".join(lines)


def store_state(root: Path) -> tuple[Any, ...]:
    """Everything the state DB holds about pages and pending work (compared logically:
    the DB runs in WAL mode, so its main file's bytes prove nothing)."""
    with open_mirror(root).open_store() as store:
        return (
            store.pages(),
            store.journal(),
            store.open_commands(),
            store.conflicts(),
            store.get_meta("last_sync"),
        )


def page_report(report: SyncReport, path: str) -> Any:
    found = [p for p in report.pages if p.path == path]
    assert len(found) == 1, (path, [p.path for p in report.pages])
    return found[0]


# ================================================================== 1. minimal writes


class RecordingClient(NotionClient):
    """A real client that also keeps every ``update_page`` call's properties payload."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patches: list[tuple[str, dict[str, Any]]] = []

    def update_page(
        self,
        page_id: str,
        *,
        properties: Mapping[str, Any] | None = None,
        in_trash: bool | None = None,
    ) -> Page:
        self.patches.append((page_id, dict(properties or {})))
        return super().update_page(page_id, properties=properties, in_trash=in_trash)


def test_patch_carries_only_the_edited_properties(world: World, emulator: EmulatorHandle) -> None:
    """Each PATCH names exactly the properties edited in that file (never the whole
    frontmatter), one PATCH per page, preceded by at most one preflight page read."""
    edit(world.path("Task 1.md"), r"^Status: Todo$", "Status: Done")
    edit(world.path("Task 2.md"), r"^Estimate: 2$", "Estimate: 20")
    edit(world.path("Task 2.md"), r"^Due: null$", "Due: 2026-12-01")
    c = RecordingClient(token=emulator.token, base_url=emulator.base_url, rate_limit=None)
    world.api.reset_stats()
    try:
        report = world.sync(client=c)
    finally:
        c.close()

    assert report.converged, all_text(report)
    sent = {pid: sorted(props) for pid, props in c.patches}
    assert len(c.patches) == 2
    assert sent == {world.ids["Task 1.md"]: ["Status"], world.ids["Task 2.md"]: ["Due", "Estimate"]}
    stats = world.api.stats()
    assert writes(stats) == {PATCH_PAGE: 2}
    assert stats["requests"].get("GET /v1/pages/{page_id}", 0) <= 2, stats
    # Nothing else moved in Notion.
    state = remote(world.api, world.ids["Task 2.md"])
    assert (state["Status"], state["Estimate"], state["Due"]) == ("Todo", 20, "2026-12-01")
    assert remote(world.api, world.ids["Task 3.md"])["Status"] == "Todo"


# ================================================================== 2. identity


def test_editor_atomic_save_updates_the_page_in_place(world: World, tmp_path: Path) -> None:
    """Save-by-rename (temp file outside the folder, ``os.replace``) is an edit, not a
    delete + create: one PATCH, no page created, no file lost."""
    target = world.path("Task 1.md")
    new = target.read_bytes().replace(b"Status: Todo", b"Status: Done")
    tmp = tmp_path / ".Task 1.md.swp"  # the folder's parent, as some editors do
    tmp.write_bytes(new)
    os.replace(tmp, target)
    before = query_ids(world.api, world.ds_id)
    world.api.reset_stats()

    report = world.sync()

    assert report.converged, all_text(report)
    assert writes(world.api.stats()) == {PATCH_PAGE: 1}
    assert remote(world.api, world.ids["Task 1.md"])["Status"] == "Done"
    assert query_ids(world.api, world.ds_id) == before
    assert sorted(n for n in tree(world.root) if n.endswith(".md")) == [
        "Task 1.md",
        "Task 2.md",
        "Task 3.md",
    ]
    assert target.read_bytes() == new


def test_renamed_file_keeps_its_page(world: World) -> None:
    """``mv a.md b.md`` plus an edit: identity comes from ``_notion.id``, so the page
    is updated (not duplicated, not trashed) and exactly one file holds it."""
    pid = world.ids["Task 1.md"]
    old, new = world.path("Task 1.md"), world.path("Renamed.md")
    os.rename(old, new)
    edit(new, r"^Status: Todo$", "Status: Done")
    before = query_ids(world.api, world.ds_id)
    world.api.reset_stats()

    report = world.sync()

    assert report.converged, all_text(report)
    assert writes(world.api.stats()) == {PATCH_PAGE: 1}
    state = remote(world.api, pid)
    assert state["Status"] == "Done" and not state["in_trash"]
    assert query_ids(world.api, world.ds_id) == before
    holders = [
        n
        for n in tree(world.root)
        if n.endswith(".md") and frontmatter(world.root / n)["_notion"]["id"] == pid
    ]
    assert len(holders) == 1, holders
    assert frontmatter(world.root / holders[0])["Status"] == "Done"
    assert len([n for n in tree(world.root) if n.endswith(".md")]) == 3

    # Settled: nothing more to do, and the page was never duplicated.
    world.later()
    world.api.reset_stats()
    again = world.sync()
    assert again.converged and writes(world.api.stats()) == {}
    assert query_ids(world.api, world.ds_id) == before


# ================================================================== 3. create


def test_new_file_creates_one_page_and_gets_its_id(world: World) -> None:
    """A file without ``_notion`` becomes exactly one Notion page (properties and body);
    the id is written back, and later syncs create nothing more."""
    new = world.path("Brand new.md")
    new.write_text(
        "---\nName: Brand new\nStatus: In progress\nEstimate: 5\n---\nHello from a file.\n",
        encoding="utf-8",
    )
    before = set(query_ids(world.api, world.ds_id))
    world.api.reset_stats()

    report = world.sync()

    assert report.converged, all_text(report)
    assert report.created == 1
    assert writes(world.api.stats()) == {POST_PAGE: 1}
    created = set(query_ids(world.api, world.ds_id)) - before
    assert len(created) == 1
    pid = created.pop()
    fm = frontmatter(new)
    assert fm["_notion"]["id"] == pid
    assert fm["Name"] == "Brand new" and fm["Status"] == "In progress" and fm["Estimate"] == 5
    state = remote(world.api, pid)
    assert (state["Name"], state["Status"], state["Estimate"]) == ("Brand new", "In progress", 5)
    assert paragraphs(remote_body(world.api, pid)) == ["Hello from a file."]
    assert body_of(new).strip() == "Hello from a file."

    for _ in range(2):
        world.later()
        world.api.reset_stats()
        again = world.sync()
        assert again.converged and again.created == 0, all_text(again)
        assert writes(world.api.stats()) == {}
    assert len(query_ids(world.api, world.ds_id)) == len(before) + 1


# ================================================================== 5. bad input


@dataclass(frozen=True)
class Bad:
    """One way to break ``Task 1.md``: how, and what the error must say."""

    break_file: Callable[[bytes], bytes]
    expect: str  # a phrase of the message
    prop: str | None  # the property the message must name, if any
    line: str | None  # a regex for the line the message must point at


def _sub(pattern: str, repl: str) -> Callable[[bytes], bytes]:
    def apply(data: bytes) -> bytes:
        text, n = re.subn(pattern, repl, data.decode(), count=1, flags=re.MULTILINE)
        assert n == 1, pattern
        return text.encode()

    return apply


def _no_closing(data: bytes) -> bytes:
    head, sep, rest = data.partition(b"\n---\n")
    assert sep
    return head + b"\n" + rest


def _not_utf8(data: bytes) -> bytes:
    return data.replace(b"Estimate: 1\n", b"Estimate: 1 \xff\xfe\n", 1)


def _huge(data: bytes) -> bytes:
    big = b"Notes: " + b"x" * (document.MAX_FRONTMATTER_BYTES + 1) + b"\n"
    return data.replace(b"Estimate: 1\n", b"Estimate: 1\n" + big, 1)


def _alias_bomb(data: bytes) -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    bomb = ("\n".join(lines) + "\n").encode()
    return data.replace(b"Estimate: 1\n", b"Estimate: 1\n" + bomb, 1)


BAD_INPUTS: dict[str, Bad] = {
    "malformed-yaml": Bad(_sub(r"^Estimate: 1$", "Estimate: [1"), "invalid YAML", None, None),
    "no-closing-delimiter": Bad(_no_closing, "no closing '---'", None, r"^---$"),
    "wrong-type": Bad(
        _sub(r"^Estimate: 1$", "Estimate: three"),
        "expected a number",
        "Estimate",
        r"^Estimate: three$",
    ),
    "unknown-property": Bad(
        _sub(r"^Estimate: 1$", "Estimate: 1\nColour: red"),
        "is not a property of this data source",
        "Colour",
        r"^Colour: red$",
    ),
    "unknown-select-option": Bad(
        _sub(r"^Priority: null$", "Priority: Urgent"),
        "'Urgent' is not an option",
        "Priority",
        r"^Priority: Urgent$",
    ),
    "unknown-status": Bad(
        _sub(r"^Status: Todo$", "Status: Blocked"),
        "'Blocked' is not a status",
        "Status",
        r"^Status: Blocked$",
    ),
    "invalid-date": Bad(
        _sub(r"^Due: null$", "Due: 2026-02-30"), "is not a real date", "Due", r"^Due: 2026-02-30$"
    ),
    "edited-computed": Bad(
        _sub(r"^    Effort: 2$", "    Effort: 99"),
        "is computed by Notion",
        "_notion.computed.Effort",
        r"^    Effort: 99$",
    ),
    "edited-url": Bad(
        _sub(r"^  url: .*$", "  url: https://example.com/elsewhere"),
        "edits to it are not synced",
        "_notion.url",
        r"^  url: https://example.com/elsewhere$",
    ),
    "non-utf8": Bad(_not_utf8, "not valid UTF-8", None, r"^Estimate: 1 "),
    "huge-frontmatter": Bad(_huge, "larger than", None, None),
    "alias-bomb": Bad(_alias_bomb, "aliases", None, None),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_blocked_with_a_clear_error(world: World, case: str) -> None:
    """Invariant 6: a broken file gets an error naming the file, the property and the
    line, nothing is sent for it, its bytes are untouched, and a valid edit to
    another file in the same sync is still pushed."""
    bad = BAD_INPUTS[case]
    broken = world.path("Task 1.md")
    data = bad.break_file(broken.read_bytes())
    broken.write_bytes(data)
    edit(world.path("Task 2.md"), r"^Status: Todo$", "Status: Done")
    notion_before = remote(world.api, world.ids["Task 1.md"])
    world.api.reset_stats()

    report = world.sync()

    # (a) the message names the file, the line and the property.
    page = page_report(report, "Task 1.md")
    assert page.blocked, all_text(report)
    message = "\n".join(reason for _, reason in page.blocked)
    assert "Task 1.md" in message, message
    assert bad.expect in message, message
    if bad.prop is not None:
        assert f"property {bad.prop!r}" in message, message
    if bad.line is not None:
        assert f"Task 1.md:{line_of(data, bad.line)}:" in message, message
    else:
        assert re.search(r"Task 1\.md:\d+: ", message), message
    assert not report.converged
    # (b) nothing was written for the broken page; the one write is the good file's.
    assert writes(world.api.stats()) == {PATCH_PAGE: 1}
    assert remote(world.api, world.ids["Task 1.md"]) == notion_before
    # (c) the broken file is byte-identical.
    assert broken.read_bytes() == data
    # (d) the other file's edit reached Notion.
    assert remote(world.api, world.ids["Task 2.md"])["Status"] == "Done"
    assert page_report(report, "Task 2.md").pushed == ["Status"]

    # Later syncs keep it that way (the broken file is neither pushed nor rewritten).
    world.later()
    world.api.reset_stats()
    again = world.sync()
    assert not again.converged
    assert writes(world.api.stats()) == {}
    assert broken.read_bytes() == data


def test_new_select_option_is_pushed_when_the_config_allows_it(world: World) -> None:
    """``[options] allow_new_options = true``: an unknown select option is created in
    Notion instead of blocking the file."""
    mirror = open_mirror(world.root)
    mirror.save_config(replace(mirror.config, options={"allow_new_options": True}))
    assert "allow_new_options = true" in (world.root / ".notion-mirror/config.toml").read_text()
    edit(world.path("Task 1.md"), r"^Priority: null$", "Priority: Urgent")
    world.api.reset_stats()

    report = world.sync()

    assert report.converged, all_text(report)
    assert writes(world.api.stats()) == {PATCH_PAGE: 1}
    assert remote(world.api, world.ids["Task 1.md"])["Priority"] == "Urgent"
    assert frontmatter(world.path("Task 1.md"))["Priority"] == "Urgent"
    # Statuses are never invented, whatever the option says.
    edit(world.path("Task 2.md"), r"^Status: Todo$", "Status: Blocked")
    world.api.reset_stats()
    report = world.sync()
    assert "'Blocked' is not a status" in all_text(report)
    assert writes(world.api.stats()) == {}


# ================================================================== 6-7. merges and conflicts


def test_disjoint_edits_merge(world: World) -> None:
    """Local Status edit + Notion Due edit on the same page: both survive, in Notion and
    in the file."""
    pid = world.ids["Task 1.md"]
    edit(world.path("Task 1.md"), r"^Status: Todo$", "Status: Done")
    world.api.update(pid, {"Due": {"date": {"start": "2026-12-01"}}})
    world.later()

    report = world.sync()

    assert report.converged, all_text(report)
    state = remote(world.api, pid)
    assert (state["Status"], state["Due"]) == ("Done", "2026-12-01")
    fm = frontmatter(world.path("Task 1.md"))
    assert fm["Status"] == "Done" and str(fm["Due"]) == "2026-12-01"
    assert "conflicts" not in fm["_notion"]


def test_same_property_edited_differently_is_a_conflict(world: World) -> None:
    """Status changed to Done here and to In progress in Notion: a conflict. The file keeps
    Done and shows Notion's value under ``_notion.conflicts``; Notion keeps In progress;
    a non-conflicting Estimate edit in the same file is still pushed."""
    pid = world.ids["Task 1.md"]
    f = world.path("Task 1.md")
    edit(f, r"^Status: Todo$", "Status: Done")
    edit(f, r"^Estimate: 1$", "Estimate: 8")
    world.api.update(pid, {"Status": {"status": {"name": "In progress"}}})
    world.later()
    world.api.reset_stats()

    report = world.sync()

    assert not report.converged
    assert report.conflicts == 1
    page = page_report(report, "Task 1.md")
    assert [c.surface for c in page.conflicts] == ["Status"]
    assert page.pushed == ["Estimate"]
    assert writes(world.api.stats()) == {PATCH_PAGE: 1}
    state = remote(world.api, pid)
    assert (state["Status"], state["Estimate"]) == ("In progress", 8)
    fm = frontmatter(f)
    assert fm["Status"] == "Done"
    assert fm["Estimate"] == 8
    assert fm["_notion"]["conflicts"] == {"Status": {"notion": "In progress"}}

    # The conflict stays open: later syncs push nothing for it and keep the file.
    held = f.read_bytes()
    world.later()
    world.api.reset_stats()
    again = world.sync()
    assert not again.converged
    assert writes(world.api.stats()) == {}
    assert remote(world.api, pid)["Status"] == "In progress"
    kept = frontmatter(f)
    assert kept["Status"] == "Done", "the local side of an open conflict was overwritten"
    assert kept["_notion"]["conflicts"] == {"Status": {"notion": "In progress"}}
    assert f.read_bytes() == held


def test_same_edit_on_both_sides_is_no_conflict_and_no_write(world: World) -> None:
    """Both sides set Status to Done: nothing to push, nothing to report."""
    pid = world.ids["Task 1.md"]
    edit(world.path("Task 1.md"), r"^Status: Todo$", "Status: Done")
    world.api.update(pid, {"Status": {"status": {"name": "Done"}}})
    world.later()
    world.api.reset_stats()

    report = world.sync()

    assert report.converged, all_text(report)
    assert report.conflicts == 0
    assert writes(world.api.stats()) == {}
    assert remote(world.api, pid)["Status"] == "Done"
    fm = frontmatter(world.path("Task 1.md"))
    assert fm["Status"] == "Done" and "conflicts" not in fm["_notion"]


# ================================================================== 8. body merge


def test_body_edits_in_different_paragraphs_merge(world: World) -> None:
    """Local edits paragraph 1, Notion edits paragraph 3: the merge is pushed and the
    file shows it."""
    pid = world.ids["Task 1.md"]
    edit(world.path("Task 1.md"), r"^Para one\.$", "Para one, edited here.")
    world.api.replace_body(pid, BODY.replace("Para three.", "Para three, edited in Notion."))
    world.later()

    report = world.sync()

    assert report.converged, all_text(report)
    merged = ["Para one, edited here.", "Para two.", "Para three, edited in Notion."]
    assert paragraphs(remote_body(world.api, pid)) == merged
    assert paragraphs(body_of(world.path("Task 1.md"))) == merged

    world.later()
    world.api.reset_stats()
    assert world.sync().converged
    assert writes(world.api.stats()) == {}


def test_body_edits_of_the_same_paragraph_conflict(world: World) -> None:
    """Both sides rewrite paragraph 2: conflict markers in the file, Notion's body
    untouched, and a body with markers is never pushed by later syncs."""
    pid = world.ids["Task 1.md"]
    f = world.path("Task 1.md")
    edit(f, r"^Para two\.$", "Para two, local version.")
    notion_body = BODY.replace("Para two.", "Para two, Notion version.")
    world.api.replace_body(pid, notion_body)
    world.later()
    world.api.reset_stats()

    report = world.sync()

    assert not report.converged
    assert report.conflicts == 1, all_text(report)
    assert writes(world.api.stats()) == {}
    assert paragraphs(remote_body(world.api, pid)) == paragraphs(notion_body)
    body = body_of(f)
    for marker in ("<<<<<<< local", "=======", ">>>>>>> notion"):
        assert marker in body, body
    assert "Para two, local version." in body and "Para two, Notion version." in body

    # Later syncs never push a body with markers, even after further local edits.
    edit(f, r"^Para one\.$", "Para one, edited again.")
    for _ in range(2):
        world.later()
        world.api.reset_stats()
        again = world.sync()
        assert not again.converged
        assert PATCH_BODY not in writes(world.api.stats())
        assert paragraphs(remote_body(world.api, pid)) == paragraphs(notion_body)
        assert "<<<<<<< local" in body_of(f)


@pytest.mark.parametrize("surface", ["property", "body"])
def test_open_conflict_survives_a_later_remote_edit_of_another_property(
    world: World, surface: str
) -> None:
    """Invariant 1 across syncs: once a conflict is open, a later Notion edit of an
    unrelated property (Estimate) may merge into the file or wait, but the local side
    of the conflict (the value and ``_notion.conflicts``, or the body's markers) is
    never overwritten by Notion's side."""
    pid = world.ids["Task 1.md"]
    f = world.path("Task 1.md")
    if surface == "property":
        edit(f, r"^Status: Todo$", "Status: Done")
        world.api.update(pid, {"Status": {"status": {"name": "In progress"}}})
    else:
        edit(f, r"^Para two\.$", "Para two, local version.")
        world.api.replace_body(pid, BODY.replace("Para two.", "Para two, Notion version."))
    world.later()
    assert world.sync().conflicts == 1
    world.later()
    world.api.update(pid, {"Estimate": {"number": 77}})
    world.later()
    world.api.reset_stats()

    report = world.sync()

    assert not report.converged
    assert PATCH_BODY not in writes(world.api.stats())
    fm = frontmatter(f)
    if surface == "property":
        assert fm["Status"] == "Done", "the local side of an open conflict was overwritten"
        assert fm["_notion"].get("conflicts") == {"Status": {"notion": "In progress"}}
        assert remote(world.api, pid)["Status"] == "In progress"
    else:
        body = body_of(f)
        assert "Para two, local version." in body, body
        assert "<<<<<<< local" in body and ">>>>>>> notion" in body, body
        assert "Para two, local version." not in remote_body(world.api, pid)


# ================================================================== 9. race with Notion


class RacingClient(NotionClient):
    """A client that lets "someone else" edit a page in Notion at a chosen moment.

    ``before`` is ``"retrieve_page"`` (the executor's preflight read) or
    ``"update_page"`` (between the preflight and the PATCH); ``act`` runs once,
    right before the first such call for ``page_id``.
    """

    def __init__(self, *args: Any, page_id: str, before: str, act: Callable[[], None], **kw: Any):
        super().__init__(*args, **kw)
        self.race_page, self.race_before, self.race_act = page_id, before, act
        self.fired = False

    def _maybe(self, method: str, page_id: str) -> None:
        if not self.fired and method == self.race_before and page_id == self.race_page:
            self.fired = True
            self.race_act()

    def retrieve_page(self, page_id: str) -> Page:
        self._maybe("retrieve_page", page_id)
        return super().retrieve_page(page_id)

    def update_page(
        self,
        page_id: str,
        *,
        properties: Mapping[str, Any] | None = None,
        in_trash: bool | None = None,
    ) -> Page:
        self._maybe("update_page", page_id)
        return super().update_page(page_id, properties=properties, in_trash=in_trash)


def planned(world: World, page_id: str) -> bool:
    """Whether the engine has already recorded its write intent for ``page_id`` (so the
    race happens between plan and write, not during the pull)."""
    with open_mirror(world.root).open_store() as store:
        return any(cmd.page_id == page_id for cmd in store.open_commands())


def racing(emulator: EmulatorHandle, page_id: str, before: str, act: Callable[[], None]) -> Any:
    return RacingClient(
        token=emulator.token,
        base_url=emulator.base_url,
        rate_limit=None,
        page_id=page_id,
        before=before,
        act=act,
    )


def test_remote_edit_of_the_same_property_just_before_preflight_is_a_conflict(
    world: World, emulator: EmulatorHandle
) -> None:
    """Notion changes Status after the first plan, right before the preflight read:
    the executor re-plans and reports a conflict instead of overwriting."""
    pid = world.ids["Task 1.md"]
    edit(world.path("Task 1.md"), r"^Status: Todo$", "Status: Done")

    def someone_else() -> None:
        assert planned(world, pid)
        world.api.update(pid, {"Status": {"status": {"name": "In progress"}}})

    c = racing(emulator, pid, "retrieve_page", someone_else)
    try:
        report = world.sync(client=c)
    finally:
        c.close()

    assert c.fired
    assert report.conflicts == 1, all_text(report)
    assert remote(world.api, pid)["Status"] == "In progress"
    fm = frontmatter(world.path("Task 1.md"))
    assert fm["Status"] == "Done"
    assert fm["_notion"]["conflicts"] == {"Status": {"notion": "In progress"}}


@pytest.mark.parametrize("before", ["retrieve_page", "update_page"])
def test_remote_edit_of_another_property_during_push_survives(
    world: World, emulator: EmulatorHandle, before: str
) -> None:
    """Notion changes Due while the Status edit is being pushed (before the preflight,
    or even between preflight and PATCH): the PATCH carries only Status, so both
    edits survive in Notion, and the file ends up with both."""
    pid = world.ids["Task 1.md"]
    edit(world.path("Task 1.md"), r"^Status: Todo$", "Status: Done")

    def someone_else() -> None:
        assert planned(world, pid)
        world.api.update(pid, {"Due": {"date": {"start": "2027-01-15"}}})

    c = racing(emulator, pid, before, someone_else)
    try:
        report = world.sync(client=c)
        assert c.fired
        assert report.conflicts == 0, all_text(report)
        state = remote(world.api, pid)
        assert (state["Status"], state["Due"]) == ("Done", "2027-01-15")
        # The file converges on both values (now or on the next sync).
        world.later()
        assert world.sync(client=c).converged
    finally:
        c.close()
    fm = frontmatter(world.path("Task 1.md"))
    assert fm["Status"] == "Done" and str(fm["Due"]) == "2027-01-15"
    assert remote(world.api, pid)["Due"] == "2027-01-15"


# ================================================================== 10. dry run


def test_dry_run_changes_nothing_and_keeps_the_edits_pending(world: World) -> None:
    """``dry_run`` plans the push and the create but sends no write, touches no file, and
    leaves the pending work for the next real sync."""
    edit(world.path("Task 1.md"), r"^Status: Todo$", "Status: Done")
    world.path("Fresh.md").write_text("---\nName: Fresh\n---\nNew body.\n", encoding="utf-8")
    before = tree(world.root)
    state_before = store_state(world.root)
    world.api.reset_stats()

    for _ in range(2):  # a second dry run sees exactly the same
        report = world.sync(dry_run=True)
        assert report.dry_run
        assert page_report(report, "Task 1.md").pushed == ["Status"]
        assert page_report(report, "Fresh.md").created
        assert writes(world.api.stats()) == {}
        assert tree(world.root) == before
    assert store_state(world.root) == state_before
    assert remote(world.api, world.ids["Task 1.md"])["Status"] == "Todo"

    report = world.sync()
    assert report.converged, all_text(report)
    assert report.pushed == 1 and report.created == 1
    assert remote(world.api, world.ids["Task 1.md"])["Status"] == "Done"
    assert "id" in frontmatter(world.path("Fresh.md"))["_notion"]


# ================================================================== 12. modes


def test_pull_mode_never_sends_local_edits(
    api: NotionAPI, client: NotionClient, tmp_path: Path
) -> None:
    """A mirror tracked with ``mode="pull"``: local edits are reported and never sent,
    new files are not created, and Notion's edits still land in the other files."""
    w = make_world(api, client, tmp_path / "m", mode="pull")
    f = w.path("Task 1.md")
    edit(f, r"^Status: Todo$", "Status: Done")
    edited = f.read_bytes()
    w.path("Local only.md").write_text("---\nName: Local only\n---\n", encoding="utf-8")
    api.update(w.ids["Task 2.md"], {"Estimate": {"number": 42}})
    w.later()
    api.reset_stats()

    report = w.sync()

    assert not report.converged
    assert "pull mode" in all_text(report), all_text(report)
    assert writes(api.stats()) == {}
    assert remote(api, w.ids["Task 1.md"])["Status"] == "Todo"
    assert f.read_bytes() == edited
    assert frontmatter(w.path("Task 2.md"))["Estimate"] == 42
    assert len(query_ids(api, w.ds_id)) == 3
