"""``--data`` persistence and the ``notion-mirror emulator`` command as a real process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from notion_mirror.testing import running_emulator
from tests.integration.emulator.conftest import client_for, make_data_source, make_row

CLI = Path(sys.executable).with_name("notion-mirror")


def test_data_file_round_trip(tmp_path: Path) -> None:
    data = tmp_path / "ws.json"
    with running_emulator(data=str(data)) as first, client_for(first) as api:
        _, ds = make_data_source(api, first.root_page_id)
        page = make_row(api, ds, "kept", markdown="Body text")
        root = first.root_page_id
    assert data.exists()
    assert first.token not in data.read_text()  # the token is never written down
    with running_emulator(data=str(data)) as second, client_for(second) as api:
        assert second.root_page_id == root
        assert api.get(f"/v1/pages/{page['id']}/markdown").json()["markdown"] == "Body text"
        rows = api.post(f"/v1/data_sources/{ds}/query", json={}).json()["results"]
        assert [r["id"] for r in rows] == [page["id"]]


def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [str(CLI), "emulator", "--port", "0", "--token", "ntn_cli_test"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert set(info) == {"base_url", "token", "root_page_id"}
        assert info["token"] == "ntn_cli_test"
        assert info["base_url"].startswith("http://127.0.0.1:")
        resp = httpx.get(
            f"{info['base_url']}/v1/pages/{info['root_page_id']}",
            headers={"Authorization": "Bearer ntn_cli_test", "Notion-Version": "2026-03-11"},
        )
        assert resp.status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0
        assert out == ""  # exactly one line was printed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_cli_refuses_non_loopback_host() -> None:
    proc = subprocess.run(
        [str(CLI), "emulator", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "--allow-remote" in proc.stderr
    assert proc.stdout == ""
