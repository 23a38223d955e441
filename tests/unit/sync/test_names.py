"""File names follow titles: hand-renamed files are found, then moved back, never over a file."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from notion_mirror import renames
from notion_mirror.store import JournalEntry, StateStore
from notion_mirror.store.outbox import ConflictRecord
from notion_mirror.sync import names
from tests.helpers import written_by_tool


@pytest.fixture
def mirror(tmp_path: Path):
    root = tmp_path / "m"
    root.mkdir()
    store = StateStore(root / ".notion-mirror" / "state.sqlite")
    yield root, store
    store.close()


def page(root: Path, store: StateStore, page_id: str, title: str, at: str) -> bytes:
    """A page the tool wrote at ``at`` (fingerprint recorded), with ``_notion.id``."""
    data = f"---\nName: {title}\n_notion:\n  id: {page_id}\n---\nBody.\n".encode()
    written_by_tool(root, store, at, data, page_id=page_id, title=title)
    return data


A = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
B = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
C = "cccccccc-cccc-cccc-cccc-cccccccccccc"


def md_files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in root.glob("*.md")}


def test_rename_noreplace_moves_and_never_replaces(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    with pytest.raises(FileExistsError):
        renames.rename_noreplace(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a").read_text() == "a" and (tmp_path / "b").read_text() == "b"
    renames.rename_noreplace(tmp_path / "a", tmp_path / "c")
    assert not (tmp_path / "a").exists() and (tmp_path / "c").read_text() == "a"


def test_rename_noreplace_without_kernel_support_still_never_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(*_: object) -> None:
        raise OSError(errno.EINVAL, "not supported here")

    monkeypatch.setattr(renames, "renameat2", unsupported)
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    with pytest.raises(FileExistsError):
        renames.rename_noreplace(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_text() == "b"
    renames.rename_noreplace(tmp_path / "a", tmp_path / "c")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "c"]


def test_a_renamed_file_goes_back_to_its_titles_name(mirror) -> None:
    root, store = mirror
    data = page(root, store, A, "Alpha", "Alpha.md")
    (root / "Alpha.md").rename(root / "Renamed.md")
    store.put_page(store.get_page(A).with_changes(path="Renamed.md"))

    preview = names.follow_titles(root, root / ".notion-mirror" / "tmp", store, dry_run=True)
    assert preview == [names.Rename(A, "Renamed.md", "Alpha.md")]
    assert md_files(root) == {"Renamed.md": data}, "a dry run moves nothing"

    moves = names.follow_titles(root, root / ".notion-mirror" / "tmp", store)
    assert moves == [names.Rename(A, "Renamed.md", "Alpha.md")]
    assert md_files(root) == {"Alpha.md": data}
    assert store.get_page(A).path == "Alpha.md"
    assert names.follow_titles(root, root / ".notion-mirror" / "tmp", store) == []


def test_edited_or_conflicted_files_keep_their_name_for_now(mirror) -> None:
    root, store = mirror
    page(root, store, A, "Alpha", "Alpha.md")
    page(root, store, B, "Beta", "Beta.md")
    for pid, old, new in ((A, "Alpha.md", "One.md"), (B, "Beta.md", "Two.md")):
        (root / old).rename(root / new)
        store.put_page(store.get_page(pid).with_changes(path=new))
    with (root / "One.md").open("a") as fh:
        fh.write("An edit the next sync sends first.\n")
    store.put_conflict(ConflictRecord(B, "prop:title", "Two.md", "x", "y", "z", "both edited"))
    assert names.follow_titles(root, root / ".notion-mirror" / "tmp", store) == []
    assert sorted(md_files(root)) == ["One.md", "Two.md"]


def test_a_taken_name_is_never_overwritten(mirror) -> None:
    root, store = mirror
    data = page(root, store, A, "Alpha", "Alpha.md")
    (root / "Alpha.md").rename(root / "Renamed.md")
    store.put_page(store.get_page(A).with_changes(path="Renamed.md"))
    (root / "Alpha.md").write_text("someone else's notes\n")
    tmp = root / ".notion-mirror" / "tmp"
    moves = names.follow_titles(root, tmp, store, touched={"Renamed.md"})
    assert moves == [names.Rename(A, "Renamed.md", "Alpha.md", kept="Alpha.md is taken")]
    assert md_files(root) == {"Renamed.md": data, "Alpha.md": b"someone else's notes\n"}
    assert store.get_page(A).path == "Renamed.md"
    # A later cycle that touched nothing of this page still moves it once the name is free.
    assert names.follow_titles(root, tmp, store, touched=set()) == moves
    (root / "Alpha.md").unlink()
    assert names.follow_titles(root, tmp, store, touched={"Alpha.md"}) == [
        names.Rename(A, "Renamed.md", "Alpha.md")
    ]
    assert md_files(root) == {"Alpha.md": data}
    assert store.get_meta(names.WAITING) is None
    assert names.follow_titles(root, tmp, store, touched=set()) == []


def test_only_touched_pages_are_looked_at(mirror) -> None:
    """Every other file got its name from the pull or an earlier pass; a page renamed
    behind the state's back (never in a real cycle) shows the pass does not look."""
    root, store = mirror
    page(root, store, A, "Alpha", "Alpha.md")
    page(root, store, B, "Beta", "Beta.md")
    for pid, old, new in ((A, "Alpha.md", "One.md"), (B, "Beta.md", "Two.md")):
        (root / old).rename(root / new)
        store.put_page(store.get_page(pid).with_changes(path=new))
    tmp = root / ".notion-mirror" / "tmp"
    assert names.follow_titles(root, tmp, store, touched={"Two.md"}) == [
        names.Rename(B, "Two.md", "Beta.md")
    ]
    assert sorted(md_files(root)) == ["Beta.md", "One.md"]


def test_files_that_swapped_names_both_move_back(mirror) -> None:
    root, store = mirror
    tmp = root / ".notion-mirror" / "tmp"
    a = page(root, store, A, "Alpha", "Alpha.md")
    b = page(root, store, B, "Beta", "Beta.md")
    c = page(root, store, C, "Gamma", "Gamma.md")
    # A three-way rotation: each file's title name is held by another page file.
    (root / "Alpha.md").rename(root / "x")
    (root / "Beta.md").rename(root / "Alpha.md")
    (root / "Gamma.md").rename(root / "Beta.md")
    (root / "x").rename(root / "Gamma.md")
    for pid, at in ((A, "Gamma.md"), (B, "Alpha.md"), (C, "Beta.md")):
        store.put_page(store.get_page(pid).with_changes(path=at))
    moves = names.follow_titles(root, tmp, store)
    assert sorted((m.old, m.new, m.kept) for m in moves) == [
        ("Alpha.md", "Beta.md", None),
        ("Beta.md", "Gamma.md", None),
        ("Gamma.md", "Alpha.md", None),
    ]
    assert md_files(root) == {"Alpha.md": a, "Beta.md": b, "Gamma.md": c}
    assert [store.get_page(p).path for p in (A, B, C)] == ["Alpha.md", "Beta.md", "Gamma.md"]
    assert not any(tmp.iterdir()), "nothing is left parked in the temp folder"


def journal(**kinds: str) -> dict[str, JournalEntry]:
    return {path: JournalEntry(path, kind) for path, kind in kinds.items()}


def test_a_hand_renamed_file_is_recorded_at_its_new_name(mirror) -> None:
    root, store = mirror
    page(root, store, A, "Alpha", "Alpha.md")
    page(root, store, B, "Beta", "Beta.md")
    (root / "Alpha.md").rename(root / "Renamed.md")
    (root / "new.md").write_text("---\nName: New\n---\n")
    entries = journal(**{"Alpha.md": "deleted", "Renamed.md": "changed", "new.md": "changed"})
    assert names.record_moves(root, store, entries) == [A]
    assert store.get_page(A).path == "Renamed.md"
    assert store.get_page(B).path == "Beta.md"


def test_two_files_naming_a_vanished_page_are_left_to_the_planner(mirror) -> None:
    root, store = mirror
    data = page(root, store, A, "Alpha", "Alpha.md")
    (root / "Alpha.md").rename(root / "One.md")
    (root / "Two.md").write_bytes(data)
    entries = journal(**{"Alpha.md": "deleted", "One.md": "changed", "Two.md": "changed"})
    assert names.record_moves(root, store, entries) == []
    assert store.get_page(A).path == "Alpha.md"


def test_a_file_at_another_pages_path_is_left_to_the_planner(mirror) -> None:
    """``mv Alpha.md Beta.md`` over Beta's file: which page the path holds is the
    planner's question (it reports it), not a silent re-point."""
    root, store = mirror
    page(root, store, A, "Alpha", "Alpha.md")
    page(root, store, B, "Beta", "Beta.md")
    (root / "Alpha.md").replace(root / "Beta.md")
    entries = journal(**{"Alpha.md": "deleted", "Beta.md": "changed"})
    assert names.record_moves(root, store, entries) == []
    assert store.get_page(A).path == "Alpha.md"
