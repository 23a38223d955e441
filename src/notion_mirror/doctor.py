"""``notion-mirror doctor``: check a mirror's health and say what to do about it.

Checks, offline first:

* the binding: ``.notion-mirror/config.toml`` readable, a data source id,
  valid option values;
* the state database: present, not corrupt, a schema version this
  notion-mirror knows;
* the files against the state: copies naming the same page, files naming a
  page the mirror does not know, new files (``sync`` creates them), files
  ``sync`` cannot read, pages whose file is missing or moved, fingerprints
  that no longer describe an unchanged file;
* leftovers: temp files in ``.notion-mirror/tmp``, outbox commands that
  have been open too long, open conflicts, a running writer;

then, unless offline, Notion itself: the token, the data source, and the
integration's capabilities (read content is probed with one query row and
its markdown; update/insert content cannot be probed without writing).

Each :class:`Finding` has a severity (``error``: something is broken or
blocked and needs you; ``warning``: worth a look, nothing is lost; ``info``),
a message naming the file or row, and a suggested fix.

``repair`` fixes only what is safe to fix without asking: stale temp files
whose content is known (a write in progress, or a set-aside copy of bytes
the mirror already has), fingerprints of files that are exactly what the
synced state renders, and an older state database (migrated, as any command
would). It takes the writer lock, so it never races ``sync`` or ``watch``.
A writer lock is an ``flock`` the kernel releases when its holder dies, so
there is no stale lock to break.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notion_mirror.errors import (
    MirrorError,
    NotFoundError,
    NotionError,
    RestrictedError,
    UnauthorizedError,
    UsageError,
)
from notion_mirror.lock import LockBusyError, holder, writer_lock
from notion_mirror.mirror import CONFIG_NAME, STATE_DIR, MirrorConfig, find_mirror_root
from notion_mirror.notion.ids import normalize_id
from notion_mirror.store import SCHEMA_VERSION, PageBase, StateStore

__all__ = [
    "OUTBOX_MAX_AGE",
    "SEVERITIES",
    "TEMP_MAX_AGE",
    "DoctorReport",
    "Finding",
    "classify_temp",
    "diagnose",
]

SEVERITIES = ("error", "warning", "info")
TEMP_MAX_AGE = 60.0  # seconds: younger temp files may belong to a write in progress
OUTBOX_MAX_AGE = 600.0  # seconds: an open command older than this is stuck
STATE_NAME = "state.sqlite"
_WRITE_PREFIX = "w-"  # materialize: the new bytes of a file being written


@dataclass(frozen=True)
class Finding:
    """One thing doctor noticed."""

    check: str
    severity: str
    message: str
    path: str | None = None
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "fix": self.fix,
        }


@dataclass
class DoctorReport:
    root: str
    findings: list[Finding] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    offline: bool = False

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def ok(self) -> bool:
        return self.count("error") == 0

    def to_json(self) -> dict[str, Any]:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        return {
            "directory": self.root,
            "ok": self.ok,
            "offline": self.offline,
            "counts": {s: self.count(s) for s in SEVERITIES},
            "findings": [
                f.to_json() for f in sorted(self.findings, key=lambda f: order.get(f.severity, 9))
            ],
            "repairs": self.repairs,
        }


def _q(path: str) -> str:
    """A file name quoted for a shell command line."""
    return "'" + path.replace("'", "'\\''") + "'"


def _age(iso_time: str, now: float) -> float | None:
    try:
        when = datetime.fromisoformat(iso_time.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return now - when.timestamp()


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


# ----------------------------------------------------------------------- entry


def diagnose(
    path: Path | None = None,
    *,
    repair: bool = False,
    offline: bool = False,
    connect: Callable[[], Any] | None = None,
    now: float | None = None,
) -> DoctorReport:
    """Check the mirror at ``path`` (or around the current directory).

    ``connect`` returns a Notion client (needed unless ``offline``). With
    ``repair``, safe repairs run first and the checks then report what is
    left. Raises :class:`UsageError` only when ``path`` is not a mirror at all.
    """
    start = Path(path) if path is not None else Path.cwd()
    root = find_mirror_root(start)
    if root is None:
        where = "this directory or any parent" if path is None else str(start)
        raise UsageError(
            f"not a notion-mirror folder: {where}; "
            "run `notion-mirror track <database-url> <dir>` first"
        )
    report = DoctorReport(str(root), offline=offline)
    clock = time.time if now is None else (lambda: now)
    if repair:
        report.repairs = _Repair(root, clock()).run()
    checks = _LocalChecks(root, clock())
    report.findings += checks.run()
    if offline:
        report.findings.append(Finding("notion", "info", "Notion checks skipped (--offline)"))
    elif checks.config is not None:
        if connect is None:
            raise ValueError("connect is required unless offline")
        report.findings += _online(checks.config, connect)
    return report


# ----------------------------------------------------------------- local checks


def _read_config(root: Path) -> tuple[MirrorConfig | None, Finding | None]:
    cfg_path = root / STATE_DIR / CONFIG_NAME
    try:
        config = MirrorConfig.from_toml(cfg_path.read_text(encoding="utf-8"), source=str(cfg_path))
    except (UsageError, OSError, TypeError, UnicodeDecodeError) as exc:
        return None, Finding(
            "binding",
            "error",
            f"{cfg_path}: cannot be used: {exc}",
            path=str(cfg_path),
            fix=f'fix {STATE_DIR}/{CONFIG_NAME} by hand (it needs data_source_id = "<id>"), '
            "or track the database into a new folder",
        )
    try:
        normalize_id(config.data_source_id)
    except ValueError:
        return None, Finding(
            "binding",
            "error",
            f"{cfg_path}: data_source_id {config.data_source_id!r} is not a Notion id",
            path=str(cfg_path),
            fix="put back the data source id `track` wrote (32 hex digits)",
        )
    return config, None


def _state_version(db_path: Path) -> tuple[int | None, str | None]:
    """(PRAGMA user_version, problem) read without migrating or creating anything."""
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return None, f"cannot be opened: {exc}"
    try:
        version = int(con.execute("PRAGMA user_version").fetchone()[0])
        result = con.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as exc:
        return None, f"is not a readable SQLite database: {exc}"
    finally:
        con.close()
    if [r[0] for r in result] != ["ok"]:
        first = str(result[0][0]) if result else "no answer"
        return version, f"failed its integrity check: {first}"
    return version, None


class _LocalChecks:
    def __init__(self, root: Path, now: float) -> None:
        self.root = root
        self.now = now
        self.state_dir = root / STATE_DIR
        self.config: MirrorConfig | None = None
        self.out: list[Finding] = []

    def add(self, check: str, severity: str, message: str, **kw: Any) -> None:
        self.out.append(Finding(check, severity, message, **kw))

    def run(self) -> list[Finding]:
        self.config, problem = _read_config(self.root)
        if problem is not None:
            self.out.append(problem)
        else:
            self._options()
        self._writer()
        self._temp_files()
        store = self._open_state()
        if store is not None:
            with store:
                self._files(store)
                self._outbox(store)
                self._conflicts(store)
        return self.out

    # -- binding and options ---------------------------------------------------

    def _options(self) -> None:
        from notion_mirror.mirror import Mirror
        from notion_mirror.settings import effective, unknown_options

        assert self.config is not None
        mirror = Mirror(self.root, self.config)
        try:
            effective(mirror)
        except UsageError as exc:
            self.add("config", "error", str(exc), fix="fix the value, or unset the variable")
        for key in unknown_options(mirror):
            self.add(
                "config",
                "warning",
                f"{STATE_DIR}/{CONFIG_NAME}: [options] {key} is not an option notion-mirror "
                "reads (a typo?)",
                fix="`notion-mirror config` lists the options",
            )

    # -- state database ------------------------------------------------------------

    def _open_state(self) -> StateStore | None:
        db_path = self.state_dir / STATE_NAME
        if not db_path.is_file():
            self.add(
                "state",
                "error",
                f"{db_path}: the state database is missing; sync cannot tell edits from "
                "Notion's changes without it",
                path=str(db_path),
                fix="move the folder aside and track the database again: "
                "`notion-mirror track <database-url> <new-dir>`",
            )
            return None
        version, problem = _state_version(db_path)
        if problem is not None:
            self.add(
                "state",
                "error",
                f"{db_path}: {problem}",
                path=str(db_path),
                fix="keep a copy of the folder, then track the database into a new folder "
                "and copy your unsynced edits over",
            )
            return None
        assert version is not None
        if version > SCHEMA_VERSION:
            self.add(
                "state",
                "error",
                f"{db_path}: written by a newer notion-mirror (state version {version}, "
                f"this one knows {SCHEMA_VERSION})",
                path=str(db_path),
                fix="upgrade notion-mirror",
            )
            return None
        if version < SCHEMA_VERSION:
            # Opening it with StateStore would migrate it: doctor only reads.
            self.add(
                "state",
                "warning",
                f"{db_path}: state version {version}; the next command upgrades it to "
                f"{SCHEMA_VERSION}",
                path=str(db_path),
                fix="notion-mirror doctor --repair",
            )
            return None
        store = StateStore(db_path)
        self.add(
            "state",
            "info",
            f"state database ok (version {version}, {store.count_pages()} live page(s))",
        )
        return store

    # -- files vs state --------------------------------------------------------------

    def _files(self, store: StateStore) -> None:
        from notion_mirror.sync.capture import is_page_file, shown_name
        from notion_mirror.sync.engine import BAD_NAME, UNKNOWN_ID
        from notion_mirror.sync.local import read_local
        from notion_mirror.sync.materialize import hash_bytes
        from notion_mirror.sync.render import render_page
        from notion_mirror.sync.snapshots import read_file

        schema = store.get_schema()
        if not schema:
            self.add(
                "files",
                "warning",
                "this mirror has never synced: files cannot be checked yet",
                fix="notion-mirror sync",
            )
            return
        cfg = self.config
        allow = bool(cfg.options.get("allow_new_options", False)) if cfg else False
        mode = cfg.mode if cfg else "shared"
        bases = {b.page_id: b for b in store.pages()}
        live = {b.path: b for b in bases.values() if b.path and b.state == "live"}
        entries = [e for e in os.scandir(self.root) if e.is_file(follow_symlinks=False)]
        names = sorted(e.name for e in entries if is_page_file(e.name))
        for e in entries:
            if e.name.endswith(".md") and not e.name.startswith(".") and not is_page_file(e.name):
                shown = shown_name(e.name)
                self.add(
                    "files.bad_name",
                    "error",
                    f"{shown}: {BAD_NAME}",
                    path=shown,
                    fix="rename it to a UTF-8 name (`mv`), then `notion-mirror sync`",
                )
        claims: dict[str, list[str]] = {}
        for name in names:
            fr = read_file(self.root / name)
            if fr is None:
                continue  # vanished while we looked
            base = live.get(name)
            local = read_local(name, fr.data, schema, base, allow_new_options=allow)
            pid = local.page_id
            if pid is not None and (base is None or base.page_id != pid) and pid in bases:
                base = bases[pid]
                local = read_local(name, fr.data, schema, base, allow_new_options=allow)
            if local.errors:
                more = f" (and {len(local.errors) - 1} more)" if len(local.errors) > 1 else ""
                self.add(
                    "files.invalid",
                    "warning",
                    f"{local.errors[0]}{more}; sync sends nothing for this file until it is fixed",
                    path=name,
                    fix="fix the file; `notion-mirror status` lists every problem",
                )
            if pid is None:
                if not local.errors:
                    if mode == "pull":
                        msg = f"{name}: new file; pull mode never creates pages from files"
                    else:
                        msg = f"{name}: new file; sync will create a page for it"
                    self.add("files.new", "info", msg, path=name)
                continue
            claims.setdefault(pid, []).append(name)
            if pid not in bases:
                self.add(
                    "files.unknown_id",
                    "error",
                    f"{name}: {UNKNOWN_ID} (page {pid})",
                    path=name,
                    fix=f"delete {_q(name)} if it came from another mirror; otherwise remove its "
                    "_notion block so sync creates a new page from it",
                )
                continue
            if (
                base is not None
                and base.path == name
                and base.state == "live"
                and fr.mtime_ns is not None
                and not store.conflicts(base.page_id)
            ):
                self._fingerprint(name, base, fr, hash_bytes, render_page, schema)
        self._duplicates(claims, bases)
        for path, base in sorted(live.items()):
            if path in names:
                continue
            holders = claims.get(base.page_id, [])
            if holders:
                self.add(
                    "files.moved",
                    "info",
                    f"{path}: renamed by hand to {holders[0]}; sync keeps the page and "
                    "moves the file back to its title's name",
                    path=path,
                    fix="to rename the page, edit its title in the file",
                )
            else:
                self.add(
                    "files.missing",
                    "warning",
                    f"{path}: deleted locally (page {base.page_id} stays in Notion); "
                    "sync restores the file",
                    path=path,
                    fix=f"`notion-mirror sync` brings it back; to trash the page, sync, then "
                    f"`notion-mirror trash {_q(path)}`",
                )
        self._misnamed(store)

    def _misnamed(self, store: StateStore) -> None:
        """Settled files not (yet) at their title's name: a retitle, or a name that was taken."""
        from notion_mirror.sync import names

        tmp = self.state_dir / "tmp"
        for move in names.follow_titles(self.root, tmp, store, dry_run=True):
            taken = (self.root / move.new).exists()
            self.add(
                "files.misnamed",
                "info",
                f"{move.old}: not at its title's name; sync moves it to {move.new}"
                + (f" once {move.new} is free" if taken else ""),
                path=move.old,
                fix=f"rename or remove {_q(move.new)}" if taken else None,
            )

    def _fingerprint(
        self, name: str, base: PageBase, fr: Any, hash_bytes: Any, render_page: Any, schema: Any
    ) -> None:
        digest = hash_bytes(fr.data)
        current = (digest, fr.size, fr.mtime_ns)
        if current == (base.file_hash, base.file_size, base.file_mtime_ns):
            return
        if digest == base.file_hash:
            return  # same bytes, another stat (touched, or fingerprinted within its
            # mtime tick): the next scan confirms the stat
        if fr.data != render_page(schema, base):
            return  # an edit (status/diff show it) or a rendering only sync can settle
        self.add(
            "files.fingerprint",
            "info",
            f"{name}: unchanged since the last sync, but its stored fingerprint is out of "
            "date, so every scan re-reads it",
            path=name,
            fix="notion-mirror doctor --repair",
        )

    def _duplicates(self, claims: dict[str, list[str]], bases: dict[str, PageBase]) -> None:
        for pid, paths in sorted(claims.items()):
            if len(paths) < 2 or pid not in bases:
                continue
            known = bases[pid].path
            owner = known if known in paths else None
            for path in paths:
                if path == owner:
                    continue
                if owner is not None:
                    msg = f"{path}: duplicate of {owner} (both name page {pid}); sync skips it"
                else:
                    others = ", ".join(p for p in paths if p != path)
                    msg = f"{path}: names page {pid}, like {others}; sync sends none of them"
                self.add(
                    "files.duplicate_id",
                    "error",
                    msg,
                    path=path,
                    fix=f"delete {_q(path)}, or remove its _notion block to make it a new page",
                )

    # -- leftovers ---------------------------------------------------------------------

    def _writer(self) -> None:
        who = holder(self.state_dir)
        if who is None:
            return
        msg = f"{who.describe()} is writing this mirror"
        if who.command == "watch":
            from notion_mirror.mirror import Mirror
            from notion_mirror.watch import read_daemon_state

            if self.config is not None:
                state = read_daemon_state(Mirror(self.root, self.config)) or {}
                if state.get("last_cycle"):
                    msg += f"; last cycle {state['last_cycle']}"
                if state.get("last_error"):
                    msg += f"; last error: {state['last_error']}"
        self.add("lock", "info", msg, fix="`notion-mirror status` shows what it is doing")

    def _temp_files(self) -> None:
        known = _known_hashes(self.root)
        tmp_dir = self.root / STATE_DIR / "tmp"
        for entry in _stale_temp_files(tmp_dir, self.now):
            kind = classify_temp(entry, known)
            rel = f"{STATE_DIR}/tmp/{entry.relative_to(tmp_dir).as_posix()}"
            age = _minutes(self.now - entry.stat().st_mtime)
            if kind == "unknown":
                self.add(
                    "tmp",
                    "warning",
                    f"{rel}: left by an interrupted write {age} ago; it may hold a local edit "
                    "that was set aside, so it is kept",
                    path=rel,
                    fix=f"look at it (`cat {_q(rel)}`), copy what you need into the mirror, then "
                    "delete it",
                )
            else:
                self.add(
                    "tmp",
                    "warning",
                    f"{rel}: leftover temp file from an interrupted write ({age} old)",
                    path=rel,
                    fix="notion-mirror doctor --repair",
                )

    def _outbox(self, store: StateStore) -> None:
        paths = {b.page_id: b.path for b in store.pages()}
        for cmd in store.open_commands():
            target = cmd.payload.get("path") or paths.get(cmd.page_id or "") or cmd.page_key
            age = _age(cmd.created_at, self.now)
            error = f": {cmd.error}" if cmd.error else ""
            if cmd.status == "ambiguous":
                self.add(
                    "outbox",
                    "error",
                    f"{target}: {cmd.kind} #{cmd.id} has an unknown outcome{error}",
                    path=target,
                    fix="`notion-mirror sync` looks in Notion and settles it; "
                    "`notion-mirror status` shows what it waits for",
                )
            elif age is not None and age > OUTBOX_MAX_AGE:
                self.add(
                    "outbox",
                    "warning",
                    f"{target}: {cmd.kind} #{cmd.id} has been {cmd.status} for "
                    f"{_minutes(age)} ({cmd.attempts} attempt(s)){error}",
                    path=target,
                    fix="notion-mirror sync",
                )

    def _conflicts(self, store: StateStore) -> None:
        from notion_mirror.sync.engine import surface_name

        schema = store.get_schema() or {}
        for rec in store.conflicts():
            target = rec.path or rec.page_id
            self.add(
                "conflicts",
                "warning",
                f"{target}: conflict on {surface_name(rec.surface, schema)}: {rec.reason}",
                path=rec.path,
                fix=f"notion-mirror resolve {_q(target)} --keep local|remote"
                if rec.path
                else "notion-mirror conflicts",
            )


# ------------------------------------------------------------------- temp files


def _stale_temp_files(tmp_dir: Path, now: float) -> list[Path]:
    """Temp files and set-aside copies (``a-<id>/<name>``) older than a run takes."""
    try:
        entries = list(os.scandir(tmp_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    candidates: list[Path] = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            candidates += (p for p in Path(entry.path).rglob("*") if not p.is_dir())
        else:
            candidates.append(Path(entry.path))
    out = []
    for path in candidates:
        try:
            if not path.is_file() or path.is_symlink():
                continue
            if now - path.stat().st_mtime <= TEMP_MAX_AGE:
                continue
        except FileNotFoundError:
            continue
        out.append(path)
    return sorted(out)


def _known_hashes(root: Path) -> set[str]:
    """Hashes of bytes the mirror has anyway: what it wrote, and what the files hold now."""
    from notion_mirror.sync.capture import is_page_file
    from notion_mirror.sync.materialize import hash_bytes

    out: set[str] = set()
    db_path = root / STATE_DIR / STATE_NAME
    if db_path.is_file():
        try:
            con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
            try:
                rows = con.execute("select file_hash from pages where file_hash is not null")
                out.update(r[0] for r in rows)
            finally:
                con.close()
        except sqlite3.Error:
            pass
    for entry in os.scandir(root):
        if is_page_file(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                out.add(hash_bytes(Path(entry.path).read_bytes()))
            except OSError:
                continue
    return out


def classify_temp(entry: Path, known_hashes: set[str]) -> str:
    """``write`` (bytes being written: safe to drop), ``copy`` (a set-aside file whose
    bytes the mirror still has: safe to drop) or ``unknown`` (may be the only copy of
    an edit: keep)."""
    from notion_mirror.sync.materialize import hash_bytes

    name = entry.name
    if name.startswith(_WRITE_PREFIX):
        return "write"
    try:
        digest = hash_bytes(Path(entry).read_bytes())
    except OSError:
        return "unknown"
    return "copy" if digest in known_hashes else "unknown"


# ------------------------------------------------------------------------- repair


class _Repair:
    def __init__(self, root: Path, now: float) -> None:
        self.root = root
        self.now = now
        self.state_dir = root / STATE_DIR
        self.done: list[str] = []

    def run(self) -> list[str]:
        try:
            with writer_lock(self.state_dir, "doctor --repair"):
                self._temp_files()
                self._state()
        except LockBusyError as exc:
            self.done.append(f"nothing repaired: {exc}")
        return self.done

    def _temp_files(self) -> None:
        from notion_mirror.sync.materialize import drop_aside

        known = _known_hashes(self.root)
        tmp_dir = self.state_dir / "tmp"
        for entry in _stale_temp_files(tmp_dir, self.now):
            kind = classify_temp(entry, known)
            if kind == "unknown":
                continue
            try:
                entry.unlink()
            except FileNotFoundError:
                continue
            drop_aside(entry, tmp_dir)  # and its emptied set-aside folder
            what = "temp file" if kind == "write" else "set-aside copy (the mirror has its bytes)"
            rel = entry.relative_to(tmp_dir).as_posix()
            self.done.append(f"removed {STATE_DIR}/tmp/{rel}: stale {what}")

    def _state(self) -> None:
        db_path = self.state_dir / STATE_NAME
        if not db_path.is_file():
            return
        version, problem = _state_version(db_path)
        if problem is not None or version is None or version > SCHEMA_VERSION:
            return
        try:
            store = StateStore(db_path)  # applies pending migrations
        except MirrorError as exc:
            self.done.append(f"could not open the state database: {exc}")
            return
        with store:
            if version < SCHEMA_VERSION:
                self.done.append(
                    f"upgraded the state database from version {version} to {SCHEMA_VERSION}"
                )
            self._fingerprints(store)

    def _fingerprints(self, store: StateStore) -> None:
        from notion_mirror.sync.materialize import hash_bytes
        from notion_mirror.sync.render import render_page
        from notion_mirror.sync.snapshots import read_file

        schema = store.get_schema()
        if not schema:
            return
        fixed: list[PageBase] = []
        for base in store.pages(state="live"):
            if not base.path or store.conflicts(base.page_id):
                continue
            fr = read_file(self.root / base.path)
            if fr is None or fr.mtime_ns is None:
                continue
            current = (hash_bytes(fr.data), fr.size, fr.mtime_ns)
            if current[0] == base.file_hash:
                continue  # only the stat differs: the next scan confirms it
            # Only a file that is exactly the synced state may get its own
            # fingerprint: one holding an edit must keep reading as edited.
            if fr.data != render_page(schema, base):
                continue
            fixed.append(
                base.with_changes(
                    file_hash=current[0], file_size=current[1], file_mtime_ns=current[2]
                )
            )
        if fixed:
            store.put_pages(fixed)
            for base in fixed:
                self.done.append(f"re-derived the fingerprint of {base.path} (unchanged file)")


# ------------------------------------------------------------------------- online


def _online(config: MirrorConfig, connect: Callable[[], Any]) -> list[Finding]:
    out: list[Finding] = []
    try:
        client = connect()
    except UsageError as exc:
        return [
            Finding(
                "notion.token",
                "error",
                str(exc),
                fix="export NOTION_API_TOKEN=<integration secret>, or run doctor --offline",
            )
        ]
    try:
        _probe(client, config, out)
    finally:
        client.close()
    return out


def _network(out: list[Finding], check: str, exc: NotionError) -> None:
    out.append(
        Finding(
            check,
            "error",
            f"Notion did not answer: {exc}",
            fix="check the network (and NOTION_API_BASE_URL if set), then run doctor again",
        )
    )


def _probe(client: Any, config: MirrorConfig, out: list[Finding]) -> None:
    try:
        me = client.users_me()
    except UnauthorizedError as exc:
        out.append(
            Finding(
                "notion.token",
                "error",
                f"Notion rejected the token: {exc}",
                fix="copy the integration's secret again (https://www.notion.so/profile/"
                "integrations) and export NOTION_API_TOKEN",
            )
        )
        return
    except NotionError as exc:
        _network(out, "notion.token", exc)
        return
    who = f" ({me.name})" if getattr(me, "name", None) else ""
    out.append(Finding("notion.token", "info", f"token accepted{who}"))

    ds_id = config.data_source_id
    share_fix = (
        "in Notion, open the database, ••• > Connections, and add this integration; "
        "check data_source_id in .notion-mirror/config.toml"
    )
    try:
        ds = client.retrieve_data_source(ds_id)
    except NotFoundError as exc:
        out.append(
            Finding(
                "notion.data_source",
                "error",
                f"data source {ds_id} is not visible to this integration (missing or not "
                f"shared): {exc}",
                fix=share_fix,
            )
        )
        return
    except RestrictedError as exc:
        out.append(
            Finding(
                "notion.read_content",
                "error",
                f"the integration may not read data source {ds_id}: {exc}",
                fix="enable 'Read content' in the integration's Capabilities",
            )
        )
        return
    except NotionError as exc:
        _network(out, "notion.data_source", exc)
        return
    if ds.in_trash:
        out.append(
            Finding(
                "notion.data_source",
                "error",
                f"data source {ds.title!r} ({ds_id}) is in Notion's trash",
                fix="restore the database in Notion",
            )
        )
    else:
        out.append(
            Finding(
                "notion.data_source",
                "info",
                f"data source {ds.title!r} reachable ({len(ds.properties)} properties)",
            )
        )
    _probe_read(client, ds_id, out)
    out.append(
        Finding(
            "notion.update_content",
            "info",
            "update content: not checked (would need a write); without it the first sync "
            "that sends an edit fails with 403 restricted_resource",
            fix="make sure 'Update content' is enabled in the integration's Capabilities",
        )
    )
    out.append(
        Finding(
            "notion.insert_content",
            "info",
            "insert content: not checked (would need a write); without it creating pages "
            "from new files fails with 403 restricted_resource",
            fix="make sure 'Insert content' is enabled in the integration's Capabilities",
        )
    )


def _probe_read(client: Any, ds_id: str, out: list[Finding]) -> None:
    check = "notion.read_content"
    fix = "enable 'Read content' in the integration's Capabilities"
    try:
        rows = client.query_data_source(ds_id, page_size=1).results
    except RestrictedError as exc:
        out.append(Finding(check, "error", f"cannot query the data source: {exc}", fix=fix))
        return
    except NotionError as exc:
        _network(out, check, exc)
        return
    if not rows:
        out.append(Finding(check, "info", "read content: the data source has no rows to try"))
        return
    page_id = rows[0].id
    try:
        client.retrieve_markdown(page_id)
    except (RestrictedError, NotFoundError) as exc:
        out.append(
            Finding(check, "error", f"cannot read the content of page {page_id}: {exc}", fix=fix)
        )
        return
    except NotionError as exc:
        _network(out, check, exc)
        return
    out.append(Finding(check, "info", "read content: ok (one row and its body read)"))
