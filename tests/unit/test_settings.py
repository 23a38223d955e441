"""settings.effective: every option's value and where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notion_mirror.errors import UsageError
from notion_mirror.mirror import Mirror, MirrorConfig, open_mirror
from notion_mirror.settings import (
    DEFAULTS,
    RATE_ENV,
    SOURCE_DEFAULT,
    SOURCE_FLAG,
    effective,
    unknown_options,
    values,
)

DS = "7a86142e-591c-4f9a-b111-6a0f4e355f5a"


def make(tmp_path: Path, **options: Any) -> Mirror:
    Mirror.create(tmp_path, MirrorConfig(DS, options=options))
    return open_mirror(tmp_path)


def sources(mirror: Mirror, **kw: Any) -> dict[str, str]:
    return {s.name: s.source for s in effective(mirror, **kw)}


def test_defaults_and_the_mode_track_wrote(tmp_path: Path) -> None:
    mirror = make(tmp_path)
    settings = effective(mirror, environ={})
    assert [s.name for s in settings] == list(DEFAULTS)
    assert values(settings) == {**DEFAULTS, "mode": "shared"}
    src = {s.name: s.source for s in settings}
    assert src["mode"] == ".notion-mirror/config.toml"  # track always writes it
    assert {src[n] for n in DEFAULTS if n != "mode"} == {SOURCE_DEFAULT}


def test_mode_missing_from_the_file_is_the_default(tmp_path: Path) -> None:
    mirror = make(tmp_path)
    (mirror.state_dir / "config.toml").write_text(f'data_source_id = "{DS}"\n', encoding="utf-8")
    mirror = open_mirror(tmp_path)
    assert sources(mirror, environ={})["mode"] == SOURCE_DEFAULT


def test_options_table_then_environment_then_flags(tmp_path: Path) -> None:
    mirror = make(tmp_path, poll_interval=10, debounce=1.5, allow_new_options=True, rate_limit=2)
    got = {s.name: (s.value, s.source) for s in effective(mirror, environ={})}
    opts = ".notion-mirror/config.toml [options]"
    assert got["poll_interval"] == (10.0, opts)
    assert got["debounce"] == (1.5, opts)
    assert got["allow_new_options"] == (True, opts)
    assert got["rate_limit"] == (2.0, opts)
    assert got["full_every"] == (60.0, SOURCE_DEFAULT)

    env = {RATE_ENV: "50"}
    got = {s.name: (s.value, s.source) for s in effective(mirror, environ=env)}
    assert got["rate_limit"] == (50.0, f"environment {RATE_ENV}")

    flags = {"rate_limit": 7, "poll_interval": None, "mode": "pull"}
    got = {s.name: (s.value, s.source) for s in effective(mirror, flags, environ=env)}
    assert got["rate_limit"] == (7.0, SOURCE_FLAG)
    assert got["mode"] == ("pull", SOURCE_FLAG)
    assert got["poll_interval"] == (10.0, opts)  # a flag not given (None) does not count


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"debounce": "fast"}, "debounce must be a number"),
        ({"rate_limit": 0}, "rate_limit must be greater than 0"),
        ({"poll_interval": 0.5}, "poll_interval must be at least 1"),
        ({"full_every": -1}, "full_every must be at least 0"),
        ({"allow_new_options": "yes"}, "allow_new_options must be true or false"),
        ({"debounce": True}, "debounce must be a number"),
    ],
)
def test_invalid_values_name_the_key_and_the_file(
    tmp_path: Path, options: dict[str, Any], needle: str
) -> None:
    mirror = make(tmp_path, **options)
    with pytest.raises(UsageError, match=needle) as exc:
        effective(mirror, environ={})
    assert "config.toml [options]" in str(exc.value)


@pytest.mark.parametrize("raw", ["0", "-3", "fast", "nan", "inf"])
def test_invalid_environment_rate_limit(tmp_path: Path, raw: str) -> None:
    mirror = make(tmp_path)
    with pytest.raises(UsageError, match=RATE_ENV):
        effective(mirror, environ={RATE_ENV: raw})


def test_invalid_flag_and_unknown_setting(tmp_path: Path) -> None:
    mirror = make(tmp_path)
    with pytest.raises(UsageError, match="--poll-interval"):
        effective(mirror, {"poll_interval": 0}, environ={})
    with pytest.raises(ValueError, match="unknown settings"):
        effective(mirror, {"nope": 1}, environ={})


def test_unknown_options_are_listed(tmp_path: Path) -> None:
    mirror = make(tmp_path, debounse=1, poll_interval=5)
    assert unknown_options(mirror) == ["debounse"]
    effective(mirror, environ={})  # unknown keys do not make the known ones fail
