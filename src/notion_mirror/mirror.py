"""A mirror folder: its root, its private ``.notion-mirror/`` directory and binding.

``.notion-mirror/`` holds ``state.sqlite`` and ``config.toml`` and is created
private to the user (0700, files 0600): the state describes pages that may
not be public. The token is never written here.
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from notion_mirror.errors import MirrorError, UsageError
from notion_mirror.identity import check_location
from notion_mirror.store import StateStore

__all__ = [
    "CONFIG_NAME",
    "MODES",
    "STATE_DIR",
    "Mirror",
    "MirrorConfig",
    "MirrorUnavailableError",
    "find_mirror_root",
    "open_mirror",
]

STATE_DIR = ".notion-mirror"
CONFIG_NAME = "config.toml"
STATE_NAME = "state.sqlite"
MODES = ("shared", "pull", "push")
GITIGNORE_LINE = f"{STATE_DIR}/"
# A missing config where one is looked for: "not here", not "unreadable".
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.ELOOP})


class MirrorUnavailableError(MirrorError):
    """The mirror folder or its private state cannot be reached (removed, moved away,
    emptied with its state, or on a mount that went away). Nothing is done: opening
    the state anyway would create a fresh, empty one at the old path."""


@dataclass(frozen=True)
class MirrorConfig:
    """The binding of a folder to one Notion data source, plus its options."""

    data_source_id: str
    database_id: str | None = None
    title: str = ""
    mode: str = "shared"
    lazy: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def to_toml(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        return tomli_w.dumps(data)

    @classmethod
    def from_toml(cls, text: str, *, source: str) -> MirrorConfig:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{source}: invalid TOML: {exc}") from None
        if not isinstance(data.get("data_source_id"), str):
            raise UsageError(f"{source}: missing data_source_id; is this a notion-mirror folder?")
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"{source}: unknown keys {', '.join(unknown)}")
        cfg = cls(**data)
        if cfg.mode not in MODES:
            raise UsageError(f"{source}: mode must be one of {', '.join(MODES)}, not {cfg.mode!r}")
        return cfg


@dataclass(frozen=True)
class Mirror:
    """An established mirror folder."""

    root: Path
    config: MirrorConfig

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def tmp_dir(self) -> Path:
        return self.state_dir / "tmp"

    def open_store(self) -> StateStore:
        """The state database; refuses when the mirror's binding is gone (see
        :meth:`require_present`), so a vanished folder is never re-created empty."""
        self.require_present()
        store = StateStore(self.state_dir / STATE_NAME)
        try:
            check_location(self.state_dir, store)
        except BaseException:
            store.close()
            raise
        return store

    def require_present(self) -> None:
        """Raise :class:`MirrorUnavailableError` unless ``.notion-mirror/config.toml``
        is there: a long-running process (``watch``, ``mount``) outlives its folder when
        the folder is removed, moved or unmounted under it."""
        if not _config_present(self.root):
            raise MirrorUnavailableError(
                f"{self.root}: the mirror folder or its {STATE_DIR}/ is gone "
                "(removed, moved or unmounted?); nothing was changed. Put the folder back "
                "(or mount it again), then sync again"
            )

    def save_config(self, config: MirrorConfig) -> Mirror:
        _write_private(self.state_dir / CONFIG_NAME, config.to_toml())
        return replace(self, config=config)

    @classmethod
    def create(cls, root: Path, config: MirrorConfig) -> Mirror:
        """Create ``.notion-mirror/`` (private), the config, and the .gitignore line."""
        root.mkdir(parents=True, exist_ok=True)
        state = root / STATE_DIR
        state.mkdir(mode=0o700, exist_ok=True)
        os.chmod(state, 0o700)
        (state / "tmp").mkdir(mode=0o700, exist_ok=True)
        mirror = cls(root=root, config=config)
        mirror.save_config(config)
        _ensure_gitignore(root)
        return mirror


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _ensure_gitignore(root: Path) -> None:
    path = root / ".gitignore"
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if any(line.strip() in (GITIGNORE_LINE, STATE_DIR) for line in existing.splitlines()):
        return
    sep = "" if not existing or existing.endswith("\n") else "\n"
    path.write_text(f"{existing}{sep}{GITIGNORE_LINE}\n", encoding="utf-8")


def _config_present(root: Path) -> bool:
    """Whether ``root`` holds a mirror config; an unreadable folder (a dead mount's
    ``ENOTCONN``, ``EIO``, a stale NFS handle) is an error, not an absence."""
    try:
        st = os.stat(root / STATE_DIR / CONFIG_NAME)
    except OSError as exc:
        if exc.errno in _ABSENT:
            return False
        raise MirrorUnavailableError(
            f"{root}: cannot read the mirror folder: {exc.strerror or exc} (is it on a mount "
            "that went away?); nothing was changed. Mount it again, then sync again"
        ) from None
    return stat.S_ISREG(st.st_mode)


def _is_empty_dir(path: Path) -> bool:
    try:
        with os.scandir(path) as it:
            return next(it, None) is None
    except OSError:
        return False


def find_mirror_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``.notion-mirror/config.toml``.

    Raises :class:`MirrorUnavailableError` when a folder on the way cannot be read
    (e.g. a FUSE mount whose process died: "Transport endpoint is not connected").
    """
    here = start.resolve()
    for candidate in (here, *here.parents):
        if _config_present(candidate):
            return candidate
    return None


def open_mirror(path: Path | None = None) -> Mirror:
    """Open the mirror at ``path``, or the one containing the current directory."""
    start = Path(path) if path is not None else Path.cwd()
    root = find_mirror_root(start)
    if root is None:
        where = "this directory or any parent" if path is None else str(start)
        if path is not None and _is_empty_dir(start):
            # What a mount point looks like while its filesystem is not mounted.
            raise UsageError(
                f"not a notion-mirror folder: {where} is empty; if the mirror lives on a "
                "disk or mount that is not there now, mount it again (nothing was changed); "
                "to start a new mirror, run `notion-mirror track <database-url> <dir>`"
            )
        raise UsageError(
            f"not a notion-mirror folder: {where}; "
            "run `notion-mirror track <database-url> <dir>` first"
        )
    cfg_path = root / STATE_DIR / CONFIG_NAME
    config = MirrorConfig.from_toml(cfg_path.read_text(encoding="utf-8"), source=str(cfg_path))
    return Mirror(root=root, config=config)
