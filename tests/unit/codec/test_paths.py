"""File names from page titles: safe on every OS, unique, and stable in any order."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notion_mirror.codec.paths import (
    MAX_STEM_BYTES,
    _fold,
    assign_paths,
    is_inside,
    safe_filename,
)

FAST = settings(max_examples=100, deadline=None)
WINDOWS_FORBIDDEN = set('<>:"|?*/\\')
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
            *(f"LPT{i}" for i in range(10))}  # fmt: skip


def pid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-{n:012x}"


def assert_safe(stem: str) -> None:
    assert stem and stem not in (".", "..")
    assert ".." not in stem
    assert not stem.startswith(".")
    assert stem == stem.strip() and not stem.endswith(".")
    assert not WINDOWS_FORBIDDEN & set(stem)
    assert all(unicodedata.category(c) != "Cc" for c in stem)
    assert "\u202e" not in stem and "\u200f" not in stem
    assert stem.split(".")[0].rstrip(" ").upper() not in RESERVED
    assert len(stem.encode("utf-8")) <= MAX_STEM_BYTES
    assert unicodedata.is_normalized("NFC", stem)


HOSTILE = [
    ("../../etc/passwd", "…-…-etc-passwd"),
    ("a/b", "a-b"),
    ("a\\b", "a-b"),
    ("Q3: plan | draft?", "Q3- plan - draft_"),
    ('<script>"x"*', "_script__x__"),
    ("CON", "_CON"),
    ("con.txt", "_con.txt"),
    ("Lpt9", "_Lpt9"),
    ("aux .md", "_aux .md"),
    ("CONSOLE", "CONSOLE"),
    (".hidden", "hidden"),
    ("..", "…"),
    (".", "Untitled"),
    ("", "Untitled"),
    ("   \t\n", "Untitled"),
    ("trailing dots...", "trailing dots…"),
    ("trailing. . ", "trailing"),
    ("line\nbreak\ttab", "line break tab"),
    ("bell\x07del\x7fc1\x9f", "belldelc1"),
    ("abc\u202edcba", "abcdcba"),
    ("\u200fRTL mark", "RTL mark"),
    ("emoji 🎉👩‍💻", "emoji 🎉👩‍💻"),
    ("e\u0301", "\u00e9"),
    ("日本語のタイトル", "日本語のタイトル"),
]  # fmt: skip


@pytest.mark.parametrize(("title", "expected"), HOSTILE)
def test_hostile_titles(title: str, expected: str) -> None:
    stem = safe_filename(title)
    assert stem == expected
    assert_safe(stem)


@pytest.mark.parametrize("unit", ["x", "é", "日", "🎉", "👩‍👩‍👧‍👦", "🇫🇷", "e\u0301\u0302", "👍🏽"])
def test_long_titles_are_cut_in_bytes_between_graphemes(unit: str) -> None:
    title = unit * 300
    stem = safe_filename(title)
    assert_safe(stem)
    assert MAX_STEM_BYTES - len(unit.encode()) < len(stem.encode()) <= MAX_STEM_BYTES
    normal = unicodedata.normalize("NFC", unit)
    assert stem == normal * (len(stem) // len(normal))  # whole graphemes only


def test_a_cut_that_lands_on_a_space_or_dot_is_trimmed() -> None:
    stem = safe_filename("a" * 199 + " .b" + "c" * 50)
    assert stem == "a" * 199


@FAST
@given(st.text(max_size=300))
def test_any_title_gives_a_safe_name(title: str) -> None:
    stem = safe_filename(title)
    assert_safe(stem)
    assert safe_filename(stem) == stem  # idempotent


def test_collisions_get_id_suffixes_and_the_smallest_id_keeps_the_name() -> None:
    rows = [(pid(3), "Foo"), (pid(1), "foo"), (pid(2), "Foo"), (pid(4), "Bar")]
    assert assign_paths(rows) == {
        pid(1): "foo.md",
        pid(2): "Foo (000000).md",
        pid(3): "Foo (00000003).md",  # the 6-digit prefix is taken: a longer one is used
        pid(4): "Bar.md",
    }


def test_suffix_is_six_hex_digits_of_the_id() -> None:
    a = "1a2b3c4d-0000-4000-8000-00000000000a"
    b = "1a2b3c4d-0000-4000-8000-00000000000b"
    c = "9f8e7d6c-0000-4000-8000-00000000000c"
    names = assign_paths([(c, "Note"), (a, "Note"), (b, "Note")])
    assert names == {a: "Note.md", b: "Note (1a2b3c).md", c: "Note (9f8e7d).md"}


def test_nfc_nfd_twins_and_case_twins_collide() -> None:
    nfc, nfd = "Caf\u00e9", "Cafe\u0301"
    names = assign_paths([(pid(2), nfd), (pid(1), nfc), (pid(3), "CAFÉ")])
    assert names[pid(1)] == "Café.md"
    assert len({_fold(n) for n in names.values()}) == 3


def test_titles_that_only_collide_after_truncation() -> None:
    base = "x" * 250
    names = assign_paths([(pid(1), base + "a"), (pid(2), base + "b")])
    assert names[pid(1)] == "x" * MAX_STEM_BYTES + ".md"
    assert names[pid(2)].endswith(f" ({pid(2)[:6]}).md")
    assert len(names[pid(2)].encode()) <= MAX_STEM_BYTES + 3


def test_a_title_equal_to_another_pages_suffixed_name() -> None:
    names = assign_paths([(pid(1), "Foo"), (pid(2), "Foo"),
                          (pid(3), f"Foo ({pid(2)[:6]})")])  # fmt: skip
    assert names[pid(3)] == f"Foo ({pid(2)[:6]}).md"  # plain names first
    assert names[pid(2)] == f"Foo ({pid(2).replace('-', '')[:8]}).md"
    assert len(set(names.values())) == 3


def test_taken_paths_are_kept_when_a_colliding_page_appears() -> None:
    first = assign_paths([(pid(9), "Plan")])
    assert first == {pid(9): "Plan.md"}
    later = assign_paths([(pid(9), "Plan"), (pid(1), "Plan")], taken=first)
    assert later[pid(9)] == "Plan.md"
    assert later[pid(1)] == f"Plan ({pid(1)[:6]}).md"
    # ...and the suffixed name sticks once the plain one is free again.
    again = assign_paths([(pid(1), "Plan")], taken=later)
    assert again == {pid(1): f"Plan ({pid(1)[:6]}).md"}


def test_taken_paths_follow_title_changes_and_refuse_unsafe_paths() -> None:
    assert assign_paths([(pid(1), "New")], taken={pid(1): "Old.md"}) == {pid(1): "New.md"}
    hostile = {pid(1): "../escape.md", pid(2): "sub/dir.md", pid(3): "x.txt"}
    names = assign_paths([(pid(1), "a"), (pid(2), "b"), (pid(3), "x")], taken=hostile)
    assert names == {pid(1): "a.md", pid(2): "b.md", pid(3): "x.md"}


def test_two_taken_paths_that_fold_together_are_split_by_id() -> None:
    taken = {pid(1): "foo.md", pid(2): "Foo.md"}
    names = assign_paths([(pid(2), "Foo"), (pid(1), "foo")], taken=taken)
    assert names[pid(1)] == "foo.md"
    assert names[pid(2)] == f"Foo ({pid(2)[:6]}).md"


def test_reserved_names_go_to_nobody_in_rows() -> None:
    """Names held by pages left out of ``rows`` (folded like the file system does)."""
    names = assign_paths(
        [(pid(1), "Plan"), (pid(2), "Notes")], taken={pid(2): "mine.md"}, reserved=["plan.md"]
    )
    assert names == {pid(1): f"Plan ({pid(1)[:6]}).md", pid(2): "Notes.md"}
    # Equal to a full assignment whenever the reserved pages keep their names.
    rows = [(pid(3), "Plan"), (pid(1), "Plan"), (pid(2), "Notes")]
    full = assign_paths(rows, taken={pid(3): "Plan.md"})
    part = assign_paths(rows[1:], reserved=[full[pid(3)]])
    assert part == {k: v for k, v in full.items() if k != pid(3)}


def test_duplicate_page_ids_are_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        assign_paths([(pid(1), "a"), (pid(1), "b")])


TITLES = st.sampled_from(["Foo", "foo", "FOO", "Caf\u00e9", "Cafe\u0301", "", "CON", "a/b",
                          "a-b", "x" * 300, "x" * 301, ".hidden", "hidden", "🎉"])


@FAST
@given(st.lists(st.tuples(st.integers(0, 40), TITLES), max_size=12,
                unique_by=lambda r: r[0]), st.randoms(use_true_random=False))  # fmt: skip
def test_names_are_unique_safe_and_independent_of_order(rows, rnd) -> None:  # type: ignore[no-untyped-def]
    rows = [(pid(n), t) for n, t in rows]
    names = assign_paths(rows)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert assign_paths(shuffled) == names
    assert set(names) == {p for p, _ in rows}
    assert len({_fold(n) for n in names.values()}) == len(rows)
    for name in names.values():
        assert name.endswith(".md")
        assert_safe(name[:-3])
    # Feeding the result back as taken changes nothing.
    assert assign_paths(shuffled, taken=names) == names


@FAST
@given(st.lists(st.tuples(st.integers(0, 40), TITLES), min_size=1, max_size=10,
                unique_by=lambda r: r[0]), st.integers(41, 60), TITLES)  # fmt: skip
def test_a_new_page_never_renames_existing_ones(rows, new_id, new_title) -> None:  # type: ignore[no-untyped-def]
    rows = [(pid(n), t) for n, t in rows]
    before = assign_paths(rows)
    after = assign_paths([*rows, (pid(new_id), new_title)], taken=before)
    assert {p: after[p] for p in before} == before


def test_is_inside(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    root.mkdir()
    (root / "a.md").write_text("x")
    outside = tmp_path / "secret.md"
    outside.write_text("s")
    os.symlink(outside, root / "link.md")
    assert is_inside(root, "a.md")
    assert is_inside(root, root / "a.md")
    assert is_inside(root, "not-yet.md")
    assert not is_inside(root, "../secret.md")
    assert not is_inside(root, "link.md")
    assert not is_inside(root, "/etc/passwd")
    assert not is_inside(root, ".")
    assert not is_inside(root, "sub/../../secret.md")
