"""Three-way merge of canonical bodies."""

from __future__ import annotations

from notion_mirror.codec.body import has_conflict_markers, merge3


def test_disjoint_edits_merge_cleanly() -> None:
    base = "# T\none\ntwo\nthree\nfour"
    local = "# T\nONE\ntwo\nthree\nfour"
    remote = "# T\none\ntwo\nthree\nFOUR"
    merged, clean = merge3(base, local, remote)
    assert clean
    assert merged == "# T\nONE\ntwo\nthree\nFOUR"
    assert not has_conflict_markers(merged)


def test_same_edit_both_sides_is_clean() -> None:
    merged, clean = merge3("a\nb", "a\nc", "a\nc")
    assert clean and merged == "a\nc"


def test_one_side_only() -> None:
    assert merge3("a\nb", "a\nb", "a\nb\nc") == ("a\nb\nc", True)
    assert merge3("a\nb", "x\na\nb", "a\nb") == ("x\na\nb", True)


def test_conflicting_edits_get_markers() -> None:
    merged, clean = merge3("a\nb\nc", "a\nlocal\nc", "a\nremote\nc")
    assert not clean
    assert merged == "a\n<<<<<<< local\nlocal\n=======\nremote\n>>>>>>> notion\nc"
    assert has_conflict_markers(merged)


def test_conflict_at_end_without_trailing_newline() -> None:
    merged, clean = merge3("a", "b", "c")
    assert not clean
    assert merged == "<<<<<<< local\nb\n=======\nc\n>>>>>>> notion"


def test_empty_bases() -> None:
    assert merge3("", "", "") == ("", True)
    assert merge3("", "x", "") == ("x", True)


def test_has_conflict_markers_ignores_lookalikes() -> None:
    assert not has_conflict_markers("a <<<<<<< b\n======== \n")
    assert has_conflict_markers("x\n=======\ny")
