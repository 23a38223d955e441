"""``notion-mirror schema ...`` and schema drift, as a user runs them: real CLI
subprocesses against the emulator over HTTP (docs/schema.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli_push import (  # noqa: F401  (fixtures)
    api,
    env,
    frontmatter,
    run,
    setup_mirror,
    task,
    writes,
)
from tests.helpers import NotionAPI

PATCH_DS = "PATCH /v1/data_sources/{data_source_id}"


@pytest.fixture
def mirror(tmp_path: Path, env: dict[str, str], api: NotionAPI) -> dict[str, Any]:  # noqa: F811
    root = tmp_path / "m"
    _, ds_id, ids = setup_mirror(
        api,
        env,
        root,
        [task("Alpha", Estimate={"number": 1}), task("Beta", Estimate={"number": 2})],
    )
    return {"root": root, "ds": ds_id, "ids": ids}


def schema(api: NotionAPI, ds_id: str) -> dict[str, Any]:  # noqa: F811
    return api.call("GET", f"/v1/data_sources/{ds_id}")


def sed(path: Path, pattern: str, repl: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, repl, text, count=1, flags=re.MULTILINE)
    assert n == 1, (pattern, text)
    path.write_text(new, encoding="utf-8")


def schema_cmd(env: dict[str, str], root: Path, *args: str) -> Any:  # noqa: F811
    return run(["schema", *args, "--dir", str(root)], env)


# ------------------------------------------------------------------ commands


def test_show(env: dict[str, str], mirror: dict[str, Any]) -> None:  # noqa: F811
    res = schema_cmd(env, mirror["root"], "show", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    props = {p["name"]: p for p in doc["properties"]}
    assert props["Estimate"]["type"] == "number" and props["Estimate"]["writable"]
    assert [o["name"] for o in props["Priority"]["options"]] == ["Low", "High"]
    assert props["Name"]["id"] == "title" and doc["synced"] is True
    text = schema_cmd(env, mirror["root"])  # bare `schema` = show
    assert text.returncode == 0 and "Priority  [select]" in text.stdout, text.stdout


def test_add_property_dry_run_then_real(
    env: dict[str, str],  # noqa: F811
    api: NotionAPI,  # noqa: F811
    mirror: dict[str, Any],
) -> None:
    root = mirror["root"]
    api.reset_stats()
    dry = schema_cmd(env, root, "add-property", "Tags", "--type", "multi_select",
                     "--option", "a", "--option", "b", "--dry-run", "--json")  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["applied"] is False
    assert PATCH_DS not in writes(api.stats())
    assert "Tags" not in schema(api, mirror["ds"])["properties"]

    res = schema_cmd(env, root, "add-property", "Tags", "--type", "multi_select",
                     "--option", "a", "--option", "b")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert writes(api.stats())[PATCH_DS] == 1
    tags = schema(api, mirror["ds"])["properties"]["Tags"]
    assert [o["name"] for o in tags["multi_select"]["options"]] == ["a", "b"]
    assert frontmatter(root / "Alpha.md")["Tags"] == []  # files follow at once
    assert run(["sync", str(root)], env).returncode == 0

    exists = schema_cmd(env, root, "add-property", "Estimate", "--type", "rich_text")
    assert exists.returncode == 2 and "do it in Notion" in exists.stderr


def test_rename_property_keeps_pending_edit(
    env: dict[str, str],  # noqa: F811
    api: NotionAPI,  # noqa: F811
    mirror: dict[str, Any],
) -> None:
    root = mirror["root"]
    est_id = schema(api, mirror["ds"])["properties"]["Estimate"]["id"]
    sed(root / "Alpha.md", r"^Estimate: 1$", "Estimate: 11")  # pending local edit
    res = schema_cmd(env, root, "rename-property", "Estimate", "Points", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["applied"] and out["pull"]["local_edits"] == ["Alpha.md"]
    props = schema(api, mirror["ds"])["properties"]
    assert props["Points"]["id"] == est_id and "Estimate" not in props
    assert frontmatter(root / "Beta.md")["Points"] == 2  # unedited file: follows now
    assert frontmatter(root / "Alpha.md")["Estimate"] == 11  # edited file: untouched

    sync = run(["sync", str(root)], env)
    assert sync.returncode == 0, sync.stderr
    fm = frontmatter(root / "Alpha.md")
    assert fm["Points"] == 11 and "Estimate" not in fm
    page = api.call("GET", f"/v1/pages/{mirror['ids']['Alpha.md']}")
    assert page["properties"]["Points"]["number"] == 11


def test_add_option_and_status_refused(
    env: dict[str, str],  # noqa: F811
    api: NotionAPI,  # noqa: F811
    mirror: dict[str, Any],
) -> None:
    root = mirror["root"]
    res = schema_cmd(env, root, "add-option", "Priority", "Urgent", "--color", "red")
    assert res.returncode == 0, res.stderr
    opts = schema(api, mirror["ds"])["properties"]["Priority"]["select"]["options"]
    assert [(o["name"], o["color"]) for o in opts][-1] == ("Urgent", "red")
    assert [o["name"] for o in opts] == ["Low", "High", "Urgent"]  # none lost
    sed(root / "Alpha.md", r"^Priority: null$", "Priority: Urgent")
    assert run(["sync", str(root)], env).returncode == 0

    api.reset_stats()
    status = schema_cmd(env, root, "add-option", "Status", "Blocked")
    assert status.returncode == 2 and "status property" in status.stderr
    assert "in Notion" in status.stderr
    assert PATCH_DS not in writes(api.stats())


def test_set_title_and_description(
    env: dict[str, str],  # noqa: F811
    api: NotionAPI,  # noqa: F811
    mirror: dict[str, Any],
) -> None:
    root = mirror["root"]
    assert schema_cmd(env, root, "set-title", "Work items").returncode == 0
    assert schema_cmd(env, root, "set-description", "All the work").returncode == 0
    ds = schema(api, mirror["ds"])
    assert "".join(t["plain_text"] for t in ds["title"]) == "Work items"
    assert "".join(t["plain_text"] for t in ds["description"]) == "All the work"
    api.reset_stats()
    again = schema_cmd(env, root, "set-title", "Work items")
    assert again.returncode == 0 and "nothing to do" in again.stderr
    assert PATCH_DS not in writes(api.stats())


@pytest.mark.parametrize(
    "args",
    [
        ["add-property", "Size", "--type", "number"],
        ["rename-property", "Estimate", "Points"],
        ["add-option", "Priority", "Urgent"],
        ["set-title", "Renamed"],
        ["set-description", "Changed"],
    ],
)
def test_stale_base_writes_nothing(
    args: list[str],
    env: dict[str, str],  # noqa: F811
    api: NotionAPI,  # noqa: F811
    mirror: dict[str, Any],
) -> None:
    root = mirror["root"]
    # Someone changes the schema in Notion after the mirror stored its hash.
    api.update_schema(mirror["ds"], {"Due": {"name": "Deadline"}})
    api.reset_stats()
    res = schema_cmd(env, root, *args)
    assert res.returncode == 1, res.stderr
    assert "changed in Notion since this mirror last synced" in res.stderr
    assert "notion-mirror sync" in res.stderr
    assert PATCH_DS not in writes(api.stats())
    assert writes(api.stats()) == {}
    # After a sync the command goes through.
    assert run(["sync", str(root)], env).returncode == 0
    assert schema_cmd(env, root, *args).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ["delete-property", "Estimate"],
        ["change-type", "Estimate", "rich_text"],
        ["remove-option", "Priority", "Low"],
        ["rename-option", "Priority", "Low", "Lowest"],
    ],
)
def test_destructive_changes_refused(
    args: list[str],
    env: dict[str, str],  # noqa: F811
    api: NotionAPI,  # noqa: F811
    mirror: dict[str, Any],
) -> None:
    api.reset_stats()
    res = schema_cmd(env, mirror["root"], *args)
    assert res.returncode == 2
    assert "do it in Notion" in res.stderr
    assert writes(api.stats()) == {}


# ------------------------------------------------------------------ drift


def test_drift_with_pending_edits(
    env: dict[str, str],  # noqa: F811
    api: NotionAPI,  # noqa: F811
    mirror: dict[str, Any],
) -> None:
    """Rename, delete, type change and option removal in Notion, each while a local
    edit of that property waits: nothing is lost and the keys follow."""
    root, ds = mirror["root"], mirror["ds"]
    alpha, beta = root / "Alpha.md", root / "Beta.md"
    props = schema(api, ds)["properties"]
    ids = {n: p["id"] for n, p in props.items()}
    sed(alpha, r"^Status: Todo$", "Status: Done")  # -> renamed to State
    sed(alpha, r"^Due: null$", "Due: 2026-12-01")  # -> deleted
    sed(alpha, r"^Estimate: 1$", "Estimate: 5")  # -> becomes rich_text: 5 is invalid
    sed(beta, r"^Estimate: 2$", "Estimate: two days")  # -> becomes rich_text: valid
    sed(beta, r"^Priority: null$", "Priority: High")  # -> High removed
    low = next(o for o in props["Priority"]["select"]["options"] if o["name"] == "Low")
    api.update_schema(ds, {
        "Status": {"name": "State"},
        "Due": None,
        "Estimate": {"rich_text": {}},
        "Priority": {"select": {"options": [{"id": low["id"]}, {"name": "Medium"}]}},
    })  # fmt: skip
    api.advance_clock(120)

    res = run(["sync", str(root), "--json"], env)
    assert res.returncode == 1, res.stderr
    out = json.loads(res.stdout)
    pages = {p["path"]: p for p in out["pages"]}
    a_blocked = {b["surface"]: b["reason"] for b in pages["Alpha.md"]["blocked"]}
    b_blocked = {b["surface"]: b["reason"] for b in pages["Beta.md"]["blocked"]}
    assert "deleted in Notion" in a_blocked["Due"]
    assert "from number to rich_text" in a_blocked["Estimate"]
    assert "'High' was removed" in b_blocked["Priority"]
    assert pages["Alpha.md"]["pushed"] == ["State"]
    assert pages["Beta.md"]["pushed"] == ["Estimate"]

    a = api.call("GET", f"/v1/pages/{mirror['ids']['Alpha.md']}")["properties"]
    b = api.call("GET", f"/v1/pages/{mirror['ids']['Beta.md']}")["properties"]
    assert a["State"]["id"] == ids["Status"] and a["State"]["status"]["name"] == "Done"
    assert "".join(t["plain_text"] for t in b["Estimate"]["rich_text"]) == "two days"
    assert b["Priority"]["select"] is None

    fa, fb = frontmatter(alpha), frontmatter(beta)
    assert fa["State"] == "Done" and "Status" not in fa  # key followed the rename
    assert fa["Due"] == "2026-12-01" and fa["Estimate"] == 5  # kept, not sent
    assert fb["Estimate"] == "two days" and fb["Priority"] == "High"  # kept
    assert fb["State"] == "Todo" and "Status" not in fb and "Due" not in fb

    # The user settles what was held back; everything converges.
    sed(alpha, r"^Due: '?2026-12-01'?\n", "")
    sed(alpha, r"^Estimate: 5$", "Estimate: '5'")
    sed(beta, r"^Priority: High$", "Priority: Medium")
    api.advance_clock(120)
    done = run(["sync", str(root)], env)
    assert done.returncode == 0, done.stderr
    a = api.call("GET", f"/v1/pages/{mirror['ids']['Alpha.md']}")["properties"]
    b = api.call("GET", f"/v1/pages/{mirror['ids']['Beta.md']}")["properties"]
    assert "".join(t["plain_text"] for t in a["Estimate"]["rich_text"]) == "5"
    assert b["Priority"]["select"]["name"] == "Medium"
    assert "Due" not in frontmatter(alpha)
