"""doctor: findings on a mirror built offline (no Notion), repairs, and the online
probes against a fake client."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from notion_mirror.doctor import DoctorReport, Finding, classify_temp, diagnose
from notion_mirror.errors import (
    NotFoundError,
    RestrictedError,
    TransientError,
    UnauthorizedError,
    UsageError,
)
from notion_mirror.lock import writer_lock
from notion_mirror.mirror import Mirror, MirrorConfig
from notion_mirror.store import ConflictRecord, PageBase
from notion_mirror.sync.capture import scan
from notion_mirror.sync.materialize import hash_bytes
from notion_mirror.sync.render import render_page

DS = "7a86142e-591c-4f9a-b111-6a0f4e355f5a"
SCHEMA: dict[str, Any] = {
    "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
    "Estimate": {"id": "est", "name": "Estimate", "type": "number", "number": {}},
}
IDS = {
    "One.md": "11111111-1111-4111-8111-111111111111",
    "Two.md": "22222222-2222-4222-8222-222222222222",
    "Three.md": "33333333-3333-4333-8333-333333333333",
}
OLD = time.time() - 3600


def _title(text: str) -> dict[str, Any]:
    run = {
        "type": "text",
        "text": {"content": text, "link": None},
        "plain_text": text,
        "href": None,
        "annotations": {
            "bold": False, "italic": False, "strikethrough": False, "underline": False,
            "code": False, "color": "default",
        },
    }  # fmt: skip
    return {"id": "title", "type": "title", "title": [run]}


def make_mirror(root: Path, **options: Any) -> Mirror:
    """A synced mirror of three pages, built straight into the state (no Notion)."""
    mirror = Mirror.create(root, MirrorConfig(DS, options=options))
    with mirror.open_store() as store:
        store.set_schema(SCHEMA, "h")
        for path, pid in IDS.items():
            base = PageBase(
                page_id=pid,
                path=path,
                title=path[:-3],
                url=f"https://app.notion.com/p/{pid.replace('-', '')}",
                last_edited_time="2026-01-01T00:00:00.000Z",
                observed_minute="2026-01-01T00:00:00.000Z",
                properties={"title": _title(path[:-3])},
                body=f"About {path}.\n",
            )
            data = render_page(SCHEMA, base)
            target = root / path
            target.write_bytes(data)
            os.utime(target, (OLD, OLD))
            st = target.stat()
            store.put_page(
                base.with_changes(
                    file_hash=hash_bytes(data), file_size=st.st_size, file_mtime_ns=st.st_mtime_ns
                )
            )
    return mirror


def checks(report: DoctorReport, severity: str | None = None) -> list[str]:
    return sorted(f.check for f in report.findings if severity in (None, f.severity))


def by_check(report: DoctorReport, check: str) -> list[Finding]:
    return [f for f in report.findings if f.check == check]


def offline(root: Path, **kw: Any) -> DoctorReport:
    return diagnose(root, offline=True, **kw)


def stale(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (OLD, OLD))
    return path


# ------------------------------------------------------------------- offline checks


def test_healthy_mirror_has_no_errors_or_warnings(tmp_path: Path) -> None:
    make_mirror(tmp_path)
    report = offline(tmp_path)
    assert report.ok
    assert checks(report, "error") == [] and checks(report, "warning") == []
    assert by_check(report, "state")[0].message.startswith("state database ok")
    assert report.to_json()["counts"] == {"error": 0, "warning": 0, "info": 2}


def test_not_a_mirror_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a notion-mirror folder"):
        offline(tmp_path)


def test_files_against_the_state(tmp_path: Path) -> None:
    make_mirror(tmp_path)
    one = (tmp_path / "One.md").read_bytes()
    (tmp_path / "One copy.md").write_bytes(one)  # a copy: duplicate id
    alien = one.replace(IDS["One.md"].encode(), b"99999999-9999-4999-8999-999999999999")
    (tmp_path / "Alien.md").write_bytes(alien)  # names a page the state does not know
    (tmp_path / "New.md").write_bytes(b"---\nName: New\n---\n")  # sync creates it
    (tmp_path / "Bad.md").write_bytes(b"---\nName: New\nEstimate: three\n---\n")
    (tmp_path / "Two.md").unlink()  # deleted locally
    (tmp_path / "Three.md").rename(tmp_path / "Moved.md")  # moved: not missing
    report = offline(tmp_path)
    assert not report.ok
    assert checks(report, "error") == ["files.duplicate_id", "files.unknown_id"]
    dup = by_check(report, "files.duplicate_id")[0]
    assert dup.path == "One copy.md" and "duplicate of One.md" in dup.message
    assert "remove its _notion block" in (dup.fix or "")
    unknown = by_check(report, "files.unknown_id")[0]
    assert unknown.path == "Alien.md" and "does not know" in unknown.message
    assert [f.path for f in by_check(report, "files.new")] == ["New.md"]
    bad = by_check(report, "files.invalid")
    assert [f.path for f in bad] == ["Bad.md"] and bad[0].severity == "warning"
    assert bad[0].message.startswith("Bad.md:3: property 'Estimate': expected a number")
    missing = by_check(report, "files.missing")
    assert [f.path for f in missing] == ["Two.md"]
    assert "notion-mirror trash 'Two.md'" in (missing[0].fix or "")
    assert [f.message for f in by_check(report, "files.moved")] == [
        "Three.md: renamed by hand to Moved.md; sync keeps the page and moves the file back "
        "to its title's name"
    ]


def test_files_not_at_their_titles_name(tmp_path: Path) -> None:
    """A page retitled in the state (as a pull or push leaves it when the move waits):
    doctor names the file and the name sync gives it, and says when that name is taken."""
    mirror = make_mirror(tmp_path)
    with mirror.open_store() as store:
        for path, title in (("One.md", "First"), ("Two.md", "Second")):
            base = store.page_by_path(path)
            assert base is not None
            store.put_page(base.with_changes(title=title))
    (tmp_path / "Second.md").write_text("---\nName: someone's file\n---\n")
    found = {f.path: f for f in by_check(offline(tmp_path), "files.misnamed")}
    assert found["One.md"].message == "One.md: not at its title's name; sync moves it to First.md"
    assert found["Two.md"].message.endswith("sync moves it to Second.md once Second.md is free")
    assert found["Two.md"].fix == "rename or remove 'Second.md'"
    assert sorted(found) == ["One.md", "Two.md"]


def test_pull_mode_says_new_files_are_not_created(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path)
    mirror.save_config(MirrorConfig(DS, mode="pull"))
    (tmp_path / "New.md").write_bytes(b"---\nName: New\n---\n")
    assert "pull mode never creates" in by_check(offline(tmp_path), "files.new")[0].message


def test_never_synced_mirror(tmp_path: Path) -> None:
    mirror = Mirror.create(tmp_path, MirrorConfig(DS))
    mirror.open_store().close()
    report = offline(tmp_path)
    assert [f.message for f in by_check(report, "files")] == [
        "this mirror has never synced: files cannot be checked yet"
    ]


def test_outbox_conflicts_and_writer(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path)
    with mirror.open_store() as store:
        _pending, ambiguous = store.add_commands(
            [
                {"page_key": IDS["One.md"], "page_id": IDS["One.md"], "kind": "update"},
                {"page_key": "new:X.md", "kind": "create", "payload": {"path": "X.md"}},
            ]
        )
        store.set_command(ambiguous, "ambiguous", error="connection dropped")
        store.put_conflict(
            ConflictRecord(
                IDS["Two.md"], "prop:est", "Two.md", 1, 2, 3, "changed locally and in Notion"
            )
        )
    now = offline(tmp_path)
    assert [f.severity for f in by_check(now, "outbox")] == ["error"]  # young pending: fine
    assert (
        "X.md: create #2 has an unknown outcome: connection dropped"
        in now.findings[now.findings.index(by_check(now, "outbox")[0])].message
    )
    later = offline(tmp_path, now=time.time() + 3600)
    outbox = by_check(later, "outbox")
    assert [f.severity for f in outbox] == ["warning", "error"]
    assert outbox[0].message.startswith("One.md: update #1 has been pending for 60 min")
    conflict = by_check(later, "conflicts")[0]
    assert conflict.message == "Two.md: conflict on Estimate: changed locally and in Notion"
    assert conflict.fix == "notion-mirror resolve 'Two.md' --keep local|remote"
    with writer_lock(mirror.state_dir, "watch"):
        lock = by_check(offline(tmp_path), "lock")
    assert len(lock) == 1 and "`notion-mirror watch`" in lock[0].message
    assert by_check(offline(tmp_path), "lock") == []


def test_config_and_state_problems(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path, debounce="soon", debounse=1)
    report = offline(tmp_path)
    assert [f.severity for f in by_check(report, "config")] == ["error", "warning"]
    cfg = mirror.state_dir / "config.toml"
    cfg.write_text("data_source_id = [", encoding="utf-8")
    report = offline(tmp_path)
    assert by_check(report, "binding")[0].severity == "error"
    assert "invalid TOML" in by_check(report, "binding")[0].message
    cfg.write_text('data_source_id = "nope"\n', encoding="utf-8")
    assert "is not a Notion id" in by_check(offline(tmp_path), "binding")[0].message

    db = mirror.state_dir / "state.sqlite"
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 999")
    con.commit()
    con.close()
    assert "newer notion-mirror" in by_check(offline(tmp_path), "state")[0].message
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"not a database at all" * 100)
    state = by_check(offline(tmp_path), "state")
    assert state[0].severity == "error" and "not a readable SQLite database" in state[0].message
    db.unlink()
    assert "state database is missing" in by_check(offline(tmp_path), "state")[0].message
    assert not db.exists()  # doctor never creates it


def test_older_state_version_is_reported_then_upgraded_by_repair(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path)
    db = mirror.state_dir / "state.sqlite"
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    state = by_check(offline(tmp_path), "state")
    assert state[0].severity == "warning" and "state version 1" in state[0].message
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1  # not migrated by a check
    con.close()


# ----------------------------------------------------------------------- temp files


def test_temp_files_young_stale_and_set_aside(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path)
    tmp = mirror.tmp_dir
    (tmp / "w-young").write_bytes(b"in progress")  # younger than a minute: a live write
    stale(tmp / "w-old", b"half a file")
    stale(tmp / "a-known", (tmp_path / "One.md").read_bytes())
    stale(tmp / "a-edit", b"the only copy of someone's edit")
    report = offline(tmp_path)
    found = {f.path: f for f in by_check(report, "tmp")}
    assert sorted(found) == [
        ".notion-mirror/tmp/a-edit", ".notion-mirror/tmp/a-known", ".notion-mirror/tmp/w-old",
    ]  # fmt: skip
    assert "may hold a local edit" in found[".notion-mirror/tmp/a-edit"].message
    assert found[".notion-mirror/tmp/w-old"].fix == "notion-mirror doctor --repair"

    repaired = offline(tmp_path, repair=True)
    assert sorted(os.listdir(tmp)) == ["a-edit", "w-young"]
    assert any("removed .notion-mirror/tmp/w-old" in r for r in repaired.repairs)
    assert any("removed .notion-mirror/tmp/a-known" in r for r in repaired.repairs)
    assert [f.path for f in by_check(repaired, "tmp")] == [".notion-mirror/tmp/a-edit"]


def test_classify_temp(tmp_path: Path) -> None:
    a = tmp_path / "r-1"
    a.write_bytes(b"x")
    assert classify_temp(tmp_path / "w-1", set()) == "write"
    assert classify_temp(a, {hash_bytes(b"x")}) == "copy"
    assert classify_temp(a, set()) == "unknown"


# ---------------------------------------------------------------------- fingerprints


def test_repair_re_derives_fingerprints_of_unchanged_files_only(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path)
    os.utime(tmp_path / "One.md", (OLD - 500, OLD - 500))  # touched: same bytes
    with mirror.open_store() as store:  # a lost fingerprint, same bytes
        store.put_page(store.page_by_path("Two.md").with_changes(file_hash=None))  # type: ignore[union-attr]
    three = tmp_path / "Three.md"  # a real edit must keep reading as edited
    three.write_bytes(three.read_bytes().replace(b"About", b"Edited"))
    report = offline(tmp_path)
    # A touched file is confirmed by the next scan on its own; only a lost hash needs doctor.
    assert [f.path for f in by_check(report, "files.fingerprint")] == ["Two.md"]
    repaired = offline(tmp_path, repair=True)
    assert [r for r in repaired.repairs if "fingerprint" in r] == [
        "re-derived the fingerprint of Two.md (unchanged file)",
    ]
    assert by_check(repaired, "files.fingerprint") == []
    with mirror.open_store() as store:
        assert [e.path for e in scan(tmp_path, store).journaled] == ["Three.md"]
        for name in ("One.md", "Two.md"):
            base = store.page_by_path(name)
            st = (tmp_path / name).stat()
            assert base is not None
            assert (base.file_hash, base.file_size, base.file_mtime_ns) == (
                hash_bytes((tmp_path / name).read_bytes()),
                st.st_size,
                st.st_mtime_ns,
            )
        three_base = store.page_by_path("Three.md")
        assert three_base is not None and three_base.file_hash != hash_bytes(three.read_bytes())


def test_repair_waits_for_no_writer(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path)
    stale(mirror.tmp_dir / "w-old", b"x")
    with writer_lock(mirror.state_dir, "sync"):
        report = offline(tmp_path, repair=True)
    assert len(report.repairs) == 1 and report.repairs[0].startswith("nothing repaired")
    assert (mirror.tmp_dir / "w-old").exists()


# --------------------------------------------------------------------------- online


class FakeClient:
    def __init__(self, **fail: Exception) -> None:
        self.fail = fail
        self.closed = False
        self.calls: list[str] = []

    def _maybe(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail:
            raise self.fail[name]

    def users_me(self) -> Any:
        self._maybe("users_me")
        return SimpleNamespace(name="bot")

    def retrieve_data_source(self, ds_id: str) -> Any:
        self._maybe("retrieve_data_source")
        return SimpleNamespace(title="Tasks", properties={"Name": 1}, in_trash=False)

    def query_data_source(self, ds_id: str, *, page_size: int) -> Any:
        self._maybe("query_data_source")
        assert page_size == 1
        return SimpleNamespace(results=[SimpleNamespace(id="p1")])

    def retrieve_markdown(self, page_id: str) -> Any:
        self._maybe("retrieve_markdown")
        return SimpleNamespace(markdown="")

    def close(self) -> None:
        self.closed = True


def online(root: Path, client: FakeClient) -> DoctorReport:
    return diagnose(root, connect=lambda: client)


def test_online_all_good_says_what_it_could_not_check(tmp_path: Path) -> None:
    make_mirror(tmp_path)
    client = FakeClient()
    report = online(tmp_path, client)
    assert report.ok and client.closed
    assert client.calls == [
        "users_me", "retrieve_data_source", "query_data_source", "retrieve_markdown",
    ]  # fmt: skip
    notion = {f.check: f for f in report.findings if f.check.startswith("notion")}
    assert notion["notion.read_content"].message.startswith("read content: ok")
    assert "not checked (would need a write)" in notion["notion.update_content"].message
    assert "not checked (would need a write)" in notion["notion.insert_content"].message


@pytest.mark.parametrize(
    ("fail", "check", "needle"),
    [
        ({"users_me": UnauthorizedError("API token is invalid.", status=401)},
         "notion.token", "rejected the token"),
        ({"users_me": TransientError("network error after 5 attempt(s)")},
         "notion.token", "did not answer"),
        ({"retrieve_data_source": NotFoundError("not found", status=404)},
         "notion.data_source", "not visible to this integration"),
        ({"retrieve_markdown": RestrictedError("no read content", status=403)},
         "notion.read_content", "cannot read the content of page p1"),
    ],
)  # fmt: skip
def test_online_failures(
    tmp_path: Path, fail: dict[str, Exception], check: str, needle: str
) -> None:
    make_mirror(tmp_path)
    client = FakeClient(**fail)
    report = online(tmp_path, client)
    assert not report.ok and client.closed
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.check for f in errors] == [check]
    assert needle in errors[0].message and errors[0].fix


def test_no_token_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    make_mirror(tmp_path)

    def connect() -> Any:
        raise UsageError("no Notion API token: set NOTION_API_TOKEN")

    report = diagnose(tmp_path, connect=connect)
    assert [(f.check, f.severity) for f in report.findings if f.severity == "error"] == [
        ("notion.token", "error")
    ]
