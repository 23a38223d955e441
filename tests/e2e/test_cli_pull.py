"""The CLI as a user runs it: real subprocesses against the emulator over HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notion_mirror.testing import EmulatorHandle
from tests.helpers import NotionAPI, title, tree

CLI = [sys.executable, "-m", "notion_mirror"]


def run(
    args: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture
def api(emulator: EmulatorHandle) -> Iterator[NotionAPI]:
    a = NotionAPI(emulator)
    yield a
    a.close()


@pytest.fixture
def env(emulator: EmulatorHandle) -> dict[str, str]:
    e = base_env()
    e["NOTION_API_BASE_URL"] = emulator.base_url
    e["NOTION_API_TOKEN"] = emulator.token
    return e


@pytest.fixture
def db(api: NotionAPI) -> tuple[str, str]:
    db_id, ds_id = api.create_data_source({"Name": {"title": {}}, "Done": {"checkbox": {}}})
    for name in ("Alpha", "Beta", "Gamma"):
        api.add_page(ds_id, title(name), f"About {name}.")
    return db_id, ds_id


def test_track_json_and_sync_from_a_subfolder(
    tmp_path: Path, env: dict[str, str], db: tuple[str, str], api: NotionAPI, emulator
) -> None:
    view = "0123456789abcdef0123456789abcdef"
    url = f"https://www.notion.so/acme/Tasks-{db[0].replace('-', '')}?v={view}"
    res = run(["track", url, str(tmp_path / "tasks"), "--json"], env)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["data_source_id"] == db[1]
    assert sorted(out["created"]) == ["Alpha.md", "Beta.md", "Gamma.md"]
    assert emulator.token not in res.stdout + res.stderr

    sub = tmp_path / "tasks" / "notes"
    sub.mkdir()
    api.advance_clock(60)
    page = json.loads(run(["track", db[0], str(tmp_path / "t2"), "--json"], env).stdout)
    assert page["created"]
    res = run(["sync", "--json"], env, cwd=sub)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["directory"] == str(tmp_path / "tasks")


def test_dry_run_writes_nothing(tmp_path: Path, env: dict[str, str], db: tuple[str, str]) -> None:
    target = tmp_path / "tasks"
    res = run(["track", db[0], str(target), "--dry-run"], env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["Alpha.md", "Beta.md", "Gamma.md"]
    assert not target.exists()


def test_limit_is_a_preview_that_binds_nothing(
    tmp_path: Path, env: dict[str, str], db: tuple[str, str]
) -> None:
    target = tmp_path / "tasks"
    res = run(["track", db[0], str(target), "--limit", "2"], env)
    assert res.returncode == 0, res.stderr
    files = tree(target)
    assert len(files) == 2
    assert not (target / ".notion-mirror").exists()
    res = run(["sync"], env, cwd=target)
    assert res.returncode == 2
    assert "not a notion-mirror folder" in res.stderr
    # Tracking for real afterwards adopts the identical preview files.
    res = run(["track", db[0], str(target), "--json"], env)
    assert res.returncode == 0, res.stderr
    assert len(tree(target)) == 4  # three pages and .gitignore


def test_refuses_a_folder_bound_to_another_data_source(
    tmp_path: Path, env: dict[str, str], db: tuple[str, str], api: NotionAPI
) -> None:
    target = tmp_path / "tasks"
    assert run(["track", db[0], str(target)], env).returncode == 0
    other_db, _ = api.create_data_source(name="Other")
    before = tree(target)
    res = run(["track", other_db, str(target)], env)
    assert res.returncode == 2
    assert "already mirrors data source" in res.stderr
    assert tree(target) == before
    # Re-running on the same binding resumes.
    assert run(["track", db[0], str(target)], env).returncode == 0


def test_clear_errors_for_bad_setup(tmp_path: Path, env: dict[str, str]) -> None:
    no_token = {k: v for k, v in env.items() if k != "NOTION_API_TOKEN"}
    res = run(["track", "0123456789abcdef0123456789abcdef", str(tmp_path / "x")], no_token)
    assert res.returncode == 2
    assert "NOTION_API_TOKEN" in res.stderr

    res = run(["track", "not-an-id", str(tmp_path / "x")], env)
    assert res.returncode == 2
    assert "not a Notion database URL" in res.stderr

    res = run(["track", "0123456789abcdef0123456789abcdef", str(tmp_path / "x")], env)
    assert res.returncode == 2
    assert "shared with the integration" in res.stderr
    assert not (tmp_path / "x").exists()

    wrong = dict(env, NOTION_API_TOKEN="ntn_wrong_token")
    res = run(["track", "0123456789abcdef0123456789abcdef", str(tmp_path / "x")], wrong)
    assert res.returncode == 3
    assert "401" in res.stderr
    assert "ntn_wrong_token" not in res.stderr


def test_version_and_help(env: dict[str, str]) -> None:
    res = run(["--version"], env)
    assert res.returncode == 0
    assert re.match(r"notion-mirror \d+\.\d+", res.stdout)
    for cmd in ("track", "sync", "demo", "emulator"):
        res = run([cmd, "--help"], env)
        assert res.returncode == 0, cmd
        assert "Example" in res.stdout or cmd == "emulator", cmd


def _start_demo(directory: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [*CLI, "demo", str(directory)],
        env=base_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    found: dict[str, str] = {}
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline and len(found) < 2:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.match(r"\s*export (NOTION_API_BASE_URL|NOTION_API_TOKEN)=(\S+)", line)
        if m:
            found[m.group(1)] = m.group(2)
    if len(found) < 2:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"demo did not start: {err}")
    return proc, found


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("demo did not stop on SIGTERM")
    return proc.returncode


def test_demo_mirrors_the_bundled_data_and_resumes(tmp_path: Path) -> None:
    directory = tmp_path / "demo-mirror"
    proc, found = _start_demo(directory)
    try:
        files = [n for n in tree(directory) if n.endswith(".md")]
        assert len(files) >= 35
        env = dict(base_env(), **found)
        before = tree(directory)
        res = run(["sync", "--json"], env, cwd=directory)
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["directory"] == str(directory)
        assert tree(directory) == before
    finally:
        assert _stop(proc) == 0
    first = tree(directory)
    proc, _ = _start_demo(directory)
    try:
        assert tree(directory) == first
    finally:
        assert _stop(proc) == 0
