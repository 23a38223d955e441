"""Presentation bijection, canonical idempotence and update diffs over generated bodies."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from notion_mirror.codec.body import (
    apply_updates,
    canonicalize,
    diff_updates,
    present,
    to_canonical,
    unpresent,
)
from tests.unit.codec._strategies import raw_body

FAST = settings(max_examples=200, deadline=None)
canonical_bodies = raw_body().map(canonicalize)


@FAST
@given(raw_body())
def test_canonicalize_is_idempotent(body: str) -> None:
    once = canonicalize(body)
    assert canonicalize(once) == once


@FAST
@given(canonical_bodies)
def test_unpresent_inverts_present(c: str) -> None:
    p = present(c)
    assert unpresent(p) == c
    assert present(unpresent(p)) == p
    assert to_canonical(p) == c


@FAST
@given(canonical_bodies)
def test_present_shape(c: str) -> None:
    p = present(c)
    assert p == "" or p.endswith("\n")
    assert "\r" not in p


@FAST
@given(canonical_bodies)
def test_user_spacing_and_crlf_map_back(c: str) -> None:
    p = present(c)
    assert to_canonical(p.replace("\n", "\r\n")) == c
    assert to_canonical(p + "\n\n") == c


@FAST
@given(canonical_bodies, canonical_bodies)
def test_diff_updates_apply(base: str, new: str) -> None:
    ops = diff_updates(base, new)
    if ops is None:
        assert base == "" or base.count("\n") >= 0
        return
    assert apply_updates(base, ops) == new


@FAST
@given(canonical_bodies, st.data())
def test_diff_updates_small_edit(base: str, data: st.DataObject) -> None:
    lines = base.split("\n")
    if not base:
        return
    i = data.draw(st.integers(0, len(lines) - 1))
    edited = "\n".join([*lines[:i], lines[i] + " edited", *lines[i + 1 :]])
    ops = diff_updates(base, edited)
    assert ops is not None
    assert apply_updates(base, ops) == edited


def test_present_example() -> None:
    c = "# T\npara\n- a\n\t- b\n```python\nx\n\ny\n```\n<table>\n<tr>\n<td>a</td>\n</tr>\n</table>"
    assert present(c) == (
        "# T\n\npara\n\n- a\n\t- b\n\n```python\nx\n\ny\n```\n\n"
        "<table>\n<tr>\n<td>a</td>\n</tr>\n</table>\n"
    )
    assert unpresent(present(c)) == c
    assert present("") == ""


def test_numbered_presentation_keeps_numbering() -> None:
    c = "1. a\n2. b\nx\n1. c"
    assert present(c) == "1. a\n\n2. b\n\nx\n\n1. c\n"
    assert unpresent(present(c)) == c


def test_diff_updates_examples() -> None:
    assert diff_updates("a\nb", "a\nb") == []
    assert diff_updates("", "x") is None
    ops = diff_updates("- [ ] Draft\n- [ ] Ship", "- [x] Draft\n- [ ] Ship")
    assert ops == [{"old_str": "- [ ] Draft", "new_str": "- [x] Draft"}]
    ops = diff_updates("x\nsame\nx", "x\nsame\nx\nnew")
    assert ops is not None and apply_updates("x\nsame\nx", ops) == "x\nsame\nx\nnew"
