"""The planner with the product's body merge (``codec.body.merge3``) instead of the fake."""

from __future__ import annotations

from notion_mirror.codec.body import has_conflict_markers, merge3
from notion_mirror.sync.plan import Policy, plan_page
from tests.unit.sync.test_plan_support import BASE, body_lines, page, with_

LOCAL = body_lines((0, "LOCAL one"))


def test_real_merge_pushes_a_clean_merge() -> None:
    remote = body_lines((2, "REMOTE three"))
    plan = plan_page(
        page(local=with_(BASE, body=LOCAL), remote=with_(BASE, body=remote)),
        Policy("shared"),
        merge_body=merge3,
    )
    expected = body_lines((0, "LOCAL one"), (2, "REMOTE three"))
    assert plan.push_body == expected
    assert plan.result is not None and plan.result.body == expected
    assert plan.materialize and not plan.conflicts


def test_real_merge_conflict_writes_markers_the_codec_recognises() -> None:
    remote = body_lines((0, "REMOTE one"))
    plan = plan_page(
        page(local=with_(BASE, body=LOCAL), remote=with_(BASE, body=remote)),
        Policy("shared"),
        merge_body=merge3,
    )
    assert plan.push_body is None
    assert [c.surface for c in plan.conflicts] == ["body"]
    assert plan.result is not None and plan.result.body is not None
    assert has_conflict_markers(plan.result.body)
    assert "LOCAL one" in plan.result.body and "REMOTE one" in plan.result.body
    # Next cycle: the marked file is held back, not pushed and not re-merged.
    again = plan_page(
        page(
            local=plan.result,
            remote=with_(BASE, body=remote),
            body_has_conflict_markers=True,
            pending={"body"},
        ),
        Policy("shared"),
        merge_body=merge3,
    )
    assert again.push_body is None and not again.materialize and not again.conflicts


def test_default_merge_is_the_codec_merge() -> None:
    remote = body_lines((2, "REMOTE three"))
    plan = plan_page(
        page(local=with_(BASE, body=LOCAL), remote=with_(BASE, body=remote)), Policy("shared")
    )
    assert plan.push_body == body_lines((0, "LOCAL one"), (2, "REMOTE three"))
