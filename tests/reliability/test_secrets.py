"""Secrets stay secret: after a full run of every command, the token is nowhere on disk,
in no output, in no log; the private state is private to the user.

The run deliberately includes failures (injected 500s and dropped connections,
a validation error, a conflict) because error paths are where tokens leak.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from notion_mirror.testing import running_emulator
from tests.helpers import NotionAPI, title

TOKEN = "ntn_SECRETtoken0123456789abcdefSECRET"
CLI = [sys.executable, "-m", "notion_mirror"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _leaks(root: Path) -> list[str]:
    """Every file under ``root`` whose bytes contain the token (any encoding we write)."""
    needles = (TOKEN.encode(), TOKEN.encode("utf-16-le"))
    found = []
    for path in root.rglob("*"):
        if path.is_file() and any(n in path.read_bytes() for n in needles):
            found.append(str(path))
    return found


def test_the_token_never_reaches_disk_output_or_logs(tmp_path: Path) -> None:
    with running_emulator(token=TOKEN) as emu:
        api = NotionAPI(emu)
        db_id, ds_id = api.create_data_source(
            {"Name": {"title": {}}, "Estimate": {"number": {}}, "Done": {"checkbox": {}}}
        )
        ids = [api.add_page(ds_id, title(f"Task {i}"), f"Body {i}.") for i in range(3)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("NOTION")}
        env.update(
            NOTION_API_BASE_URL=emu.base_url,
            NOTION_API_TOKEN=TOKEN,
            NOTION_MIRROR_RATE_LIMIT="50",
            NO_COLOR="1",
        )
        root = tmp_path / "m"
        outputs: list[str] = []

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            res = _run(list(args), env, tmp_path)
            outputs.extend([res.stdout, res.stderr])
            return res

        assert cli("track", db_id, str(root), "--json").returncode == 0
        api.advance_clock(120)
        # A push, a create, a conflict and an invalid file.
        (root / "Task 0.md").write_text(
            (root / "Task 0.md").read_text().replace("Estimate: null", "Estimate: 3")
        )
        (root / "New.md").write_text("---\nName: New\n---\nHello\n")
        (root / "Task 1.md").write_text(
            (root / "Task 1.md").read_text().replace("Done: false", "Done: true")
        )
        api.update(ids[1], {"Done": {"checkbox": False}, "Estimate": {"number": 9}})
        (root / "Task 2.md").write_text(
            (root / "Task 2.md").read_text().replace("Estimate: null", "Estimate: lots")
        )
        api.advance_clock(120)
        for args in (
            ("status", str(root), "--json"),
            ("diff", str(root), "--json"),
            ("sync", str(root), "--json"),
            ("sync", str(root)),
            ("conflicts", str(root), "--json"),
        ):
            cli(*args)
        # Failures: 5xx and dropped connections on every request, then a bad token.
        api.call("POST", "/__emulator/faults", {"spec": "500:0.5,reset:0.5"})
        failed = cli("sync", str(root))
        assert failed.returncode == 3, failed.stderr
        api.call("POST", "/__emulator/faults", {"spec": ""})
        bad = dict(env, NOTION_API_TOKEN=TOKEN[:-6] + "WRONG!")
        res = _run(["sync", str(root), "--json"], bad, tmp_path)
        outputs.extend([res.stdout, res.stderr])
        assert res.returncode == 3, res.stderr
        # A short watch run with JSON logs, stopped cleanly.
        proc = subprocess.Popen(
            [*CLI, "watch", str(root), "--poll-interval", "1", "--json-log"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        try:
            out, err = proc.communicate(timeout=3)
        except subprocess.TimeoutExpired:
            proc.terminate()
            out, err = proc.communicate(timeout=30)
        outputs.extend([out, err])
        for line in err.splitlines():
            json.loads(line)  # every log line is JSON
        api.close()

    assert not [o for o in outputs if TOKEN in o]
    assert not any(TOKEN[:20] in o for o in outputs), "a prefix of the token leaked"
    assert _leaks(root) == []
    assert _leaks(tmp_path) == []

    state = root / ".notion-mirror"
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for path in state.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is readable by others"
