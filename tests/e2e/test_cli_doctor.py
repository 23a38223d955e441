"""``doctor``, ``new`` and ``config`` as a user runs them: CLI subprocesses against the
emulator over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from notion_mirror.mirror import open_mirror
from notion_mirror.notion import NotionClient
from notion_mirror.sync.track import track
from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title

CLI = [sys.executable, "-m", "notion_mirror"]

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
    "Tags": {"multi_select": {"options": [{"name": "backend"}, {"name": "urgent"}]}},
    "Due": {"date": {}},
    "Created": {"created_time": {}},
}
OLD = time.time() - 3600


def run(
    args: list[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def api(emulator: EmulatorHandle) -> Iterator[NotionAPI]:
    a = NotionAPI(emulator)
    yield a
    a.close()


@pytest.fixture
def env(emulator: EmulatorHandle) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
    e["NO_COLOR"] = "1"
    e["COLUMNS"] = "200"
    e["NOTION_API_BASE_URL"] = emulator.base_url
    e["NOTION_API_TOKEN"] = emulator.token
    e["NOTION_MIRROR_RATE_LIMIT"] = "50"
    return e


def setup(api: NotionAPI, env: dict[str, str], root: Path) -> tuple[str, dict[str, str]]:
    """Three pages tracked into ``root``; returns (data source id, file name -> page id)."""
    db_id, ds_id = api.create_data_source(SCHEMA)
    ids = {f"{n}.md": api.add_page(ds_id, title(n), f"About {n}.") for n in ("One", "Two", "Three")}
    api.advance_clock(120)
    with NotionClient(
        token=env["NOTION_API_TOKEN"], base_url=env["NOTION_API_BASE_URL"], rate_limit=None
    ) as client:
        track(client, db_id, root)
    api.advance_clock(120)
    return ds_id, ids


def doctor(root: Path, env: dict[str, str], *extra: str) -> tuple[int, dict[str, Any]]:
    res = run(["doctor", str(root), "--json", *extra], env)
    assert res.returncode in (0, 1), res.stderr
    return res.returncode, json.loads(res.stdout)


def findings(doc: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["check"] == check]


def frontmatter(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


# ============================================================================ doctor


def test_doctor_healthy_mirror_exits_0(tmp_path: Path, env: dict[str, str], api: NotionAPI) -> None:
    root = tmp_path / "tasks"
    setup(api, env, root)
    code, doc = doctor(root, env)
    assert code == 0 and doc["ok"] and doc["counts"]["error"] == 0
    assert doc["counts"]["warning"] == 0
    checks = {f["check"]: f for f in doc["findings"]}
    assert checks["notion.token"]["severity"] == "info"
    assert checks["notion.read_content"]["message"].startswith("read content: ok")
    assert "would need a write" in checks["notion.update_content"]["message"]

    res = run(["doctor"], env, cwd=root)  # text output, mirror found from the cwd
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines()[-1].startswith("healthy: 0 error(s), 0 warning(s)")


def test_doctor_finds_problems_and_repairs_what_is_safe(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    root = tmp_path / "tasks"
    setup(api, env, root)
    one = (root / "One.md").read_bytes()
    (root / "One copy.md").write_bytes(one)
    pid_one = frontmatter(root / "One.md")["_notion"]["id"]
    alien = one.replace(pid_one.encode(), b"99999999-9999-4999-8999-999999999999")
    (root / "Alien.md").write_bytes(alien)
    (root / "Three.md").unlink()
    os.utime(root / "Two.md", (OLD, OLD))
    with open_mirror(root).open_store() as store:  # same bytes, stale fingerprint
        two = store.page_by_path("Two.md")
        assert two is not None
        store.put_page(two.with_changes(file_hash="0" * 64))
    leftover = root / ".notion-mirror" / "tmp" / "w-0123456789abcdef"
    leftover.write_bytes(b"half a file")
    os.utime(leftover, (OLD, OLD))

    code, doc = doctor(root, env, "--offline")
    assert code == 1 and not doc["ok"]
    assert [f["path"] for f in findings(doc, "files.duplicate_id")] == ["One copy.md"]
    assert [f["path"] for f in findings(doc, "files.unknown_id")] == ["Alien.md"]
    assert [f["path"] for f in findings(doc, "files.missing")] == ["Three.md"]
    assert [f["path"] for f in findings(doc, "files.fingerprint")] == ["Two.md"]
    assert [f["path"] for f in findings(doc, "tmp")] == [".notion-mirror/tmp/w-0123456789abcdef"]
    assert {f["severity"] for f in findings(doc, "files.duplicate_id")} == {"error"}
    assert all(f["fix"] for f in doc["findings"] if f["severity"] != "info")
    assert findings(doc, "notion") == [
        {
            "check": "notion",
            "severity": "info",
            "message": "Notion checks skipped (--offline)",
            "path": None,
            "fix": None,
        }
    ]

    res = run(["doctor", str(root), "--repair", "--offline"], env)
    assert res.returncode == 1, res.stdout + res.stderr  # the copies still need the user
    assert "repaired: removed .notion-mirror/tmp/w-0123456789abcdef: stale temp file" in res.stdout
    assert "repaired: re-derived the fingerprint of Two.md (unchanged file)" in res.stdout
    assert not leftover.exists()
    with open_mirror(root).open_store() as store:
        base = store.page_by_path("Two.md")
        assert base is not None and base.file_mtime_ns == (root / "Two.md").stat().st_mtime_ns

    (root / "One copy.md").unlink()
    (root / "Alien.md").unlink()
    code, doc = doctor(root, env)
    assert code == 0, doc
    assert [f["path"] for f in findings(doc, "files.missing")] == ["Three.md"]  # a warning


def test_doctor_reports_a_bad_token_and_a_non_mirror(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    root = tmp_path / "tasks"
    setup(api, env, root)
    bad = {**env, "NOTION_API_TOKEN": "ntn_wrong"}
    code, doc = doctor(root, bad)
    assert code == 1
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert [f["check"] for f in errors] == ["notion.token"]
    assert "ntn_wrong" not in json.dumps(doc)  # never echo the token
    no_token = {k: v for k, v in env.items() if k != "NOTION_API_TOKEN"}
    code, doc = doctor(root, no_token)
    assert code == 1 and "NOTION_API_TOKEN" in findings(doc, "notion.token")[0]["message"]

    res = run(["doctor", str(tmp_path / "elsewhere")], env)
    assert res.returncode == 2 and "not a notion-mirror folder" in res.stderr


# =============================================================================== new


def test_new_then_sync_creates_exactly_one_page(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    root = tmp_path / "tasks"
    ds_id, _ = setup(api, env, root)
    before = api.call("POST", f"/v1/data_sources/{ds_id}/query", {"page_size": 100})["results"]

    res = run(
        ["new", str(root), "Write Q3 report", "--set", "Status=In progress",
         "--set", "Tags=[urgent]", "--set", "Estimate=5"],
        env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    path = Path(res.stdout.strip())
    assert path.name == "Write Q3 report.md" and path.parent.resolve() == root.resolve()
    assert "Status: one of Todo, In progress, Done" in res.stderr
    assert "Tags: any of backend, urgent" in res.stderr
    fm = frontmatter(path)
    assert fm == {
        "Name": "Write Q3 report",
        "Status": "In progress",
        "Estimate": 5,
        "Tags": ["urgent"],
        "Due": None,
    }

    res = run(["sync", "--json"], env, cwd=root)
    assert res.returncode == 0, res.stdout + res.stderr
    after = api.call("POST", f"/v1/data_sources/{ds_id}/query", {"page_size": 100})["results"]
    new = [p for p in after if p["id"] not in {b["id"] for b in before}]
    assert len(new) == 1
    props = new[0]["properties"]
    assert props["Name"]["title"][0]["plain_text"] == "Write Q3 report"
    assert props["Status"]["status"]["name"] == "In progress"
    assert props["Estimate"]["number"] == 5
    assert [o["name"] for o in props["Tags"]["multi_select"]] == ["urgent"]
    assert frontmatter(path)["_notion"]["id"] == new[0]["id"]

    res = run(["sync", "--json"], env, cwd=root)  # nothing more to create
    assert res.returncode == 0, res.stdout + res.stderr
    again = api.call("POST", f"/v1/data_sources/{ds_id}/query", {"page_size": 100})["results"]
    assert len(again) == len(after)


def test_new_with_a_bad_value_writes_nothing(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    root = tmp_path / "tasks"
    setup(api, env, root)
    files = sorted(os.listdir(root))
    for args, needle in (
        (["--set", "Estimate=three"], "expected a number"),
        (["--set", "Status=Blocked"], "Status"),
        (["--set", "Stauts=Todo"], "did you mean 'Status'"),
        (["--set", "Created=2026-01-01"], "Notion computes"),
    ):
        res = run(["new", str(root), "Idea", *args], env)
        assert res.returncode == 2, res.stdout + res.stderr
        assert needle in res.stderr and res.stdout == ""
    assert sorted(os.listdir(root)) == files

    res = run(["new", "One"], env, cwd=root)  # taken: a unique name instead
    assert res.returncode == 0 and res.stdout.strip() == "One 2.md"


# ============================================================================ config


def test_config_shows_values_and_sources(
    tmp_path: Path, env: dict[str, str], api: NotionAPI
) -> None:
    root = tmp_path / "tasks"
    setup(api, env, root)
    cfg = root / ".notion-mirror" / "config.toml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace(
            "[options]", "[options]\npoll_interval = 10\nallow_new_options = true\n"
        ),
        encoding="utf-8",
    )
    res = run(["config", str(root), "--json"], env)
    assert res.returncode == 0, res.stderr
    got = {s["name"]: (s["value"], s["source"]) for s in json.loads(res.stdout)["settings"]}
    assert got == {
        "mode": ("shared", ".notion-mirror/config.toml"),
        "allow_new_options": (True, ".notion-mirror/config.toml [options]"),
        "poll_interval": (10.0, ".notion-mirror/config.toml [options]"),
        "debounce": (0.5, "default"),
        "full_every": (60.0, "default"),
        "rate_limit": (50.0, "environment NOTION_MIRROR_RATE_LIMIT"),
    }
    res = run(["config"], {k: v for k, v in env.items() if k != "NOTION_MIRROR_RATE_LIMIT"}, root)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert any(line.split()[:3] == ["rate_limit", "3", "req/s"] for line in lines)
    assert any(line.startswith("poll_interval") and "[options]" in line for line in lines)

    cfg.write_text(cfg.read_text(encoding="utf-8") + "debounce = 'soon'\n", encoding="utf-8")
    res = run(["config", str(root)], env)
    assert res.returncode == 2 and "debounce must be a number" in res.stderr
