"""The effective options of a mirror, and where each value came from.

One resolution rule for every command, highest first:

1. a command-line flag (``overrides``, passed by the command that has one);
2. the environment (only ``NOTION_MIRROR_RATE_LIMIT`` today);
3. ``.notion-mirror/config.toml``: ``mode`` at the top level, the others
   under ``[options]``;
4. the built-in default.

``notion-mirror config`` prints the result; ``sync`` and ``watch`` can call
:func:`effective` with their flags to get the same answer. Values are
validated here, so a typo in ``config.toml`` is a clear usage error naming the
key instead of a silent fallback.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notion_mirror.errors import UsageError
from notion_mirror.mirror import CONFIG_NAME, MODES, STATE_DIR, Mirror

__all__ = [
    "DEFAULTS",
    "RATE_ENV",
    "SOURCE_DEFAULT",
    "SOURCE_FLAG",
    "Setting",
    "effective",
    "unknown_options",
    "values",
]

RATE_ENV = "NOTION_MIRROR_RATE_LIMIT"

SOURCE_DEFAULT = "default"
SOURCE_FLAG = "command line"
SOURCE_CONFIG = f"{STATE_DIR}/{CONFIG_NAME}"
SOURCE_OPTIONS = f"{STATE_DIR}/{CONFIG_NAME} [options]"
SOURCE_ENV = f"environment {RATE_ENV}"


@dataclass(frozen=True)
class _Spec:
    name: str
    default: Any
    kind: str  # mode | bool | number
    minimum: float = 0.0
    strict_min: bool = False  # the value must be > minimum, not >=
    unit: str = ""
    help: str = ""


# The order is the order ``notion-mirror config`` prints.
_SPECS: tuple[_Spec, ...] = (
    _Spec("mode", "shared", "mode", help="shared (both ways), pull or push"),
    _Spec(
        "allow_new_options",
        False,
        "bool",
        help="select/multi-select values may add options to the schema",
    ),
    _Spec("poll_interval", 30.0, "number", minimum=1.0, unit="s", help="watch: Notion poll period"),
    _Spec("debounce", 0.5, "number", unit="s", help="watch: quiet time after a save"),
    _Spec("full_every", 60.0, "number", unit="min", help="watch: full repair period (0 = never)"),
    _Spec(
        "rate_limit",
        3.0,
        "number",
        strict_min=True,
        unit="req/s",
        help="requests per second sent to Notion",
    ),
)
DEFAULTS: dict[str, Any] = {s.name: s.default for s in _SPECS}
# Keys of ``[options]`` (``mode`` lives at the top level of config.toml).
_OPTION_KEYS = frozenset(DEFAULTS) - {"mode"}


@dataclass(frozen=True)
class Setting:
    """One effective option: its value and where that value came from."""

    name: str
    value: Any
    source: str
    help: str = ""
    unit: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "source": self.source, "unit": self.unit}


def _check(spec: _Spec, value: Any, where: str) -> Any:
    """``value`` validated for ``spec`` (numbers as float), or a UsageError naming ``where``."""
    if spec.kind == "mode":
        if value not in MODES:
            raise UsageError(f"{where}: mode must be one of {', '.join(MODES)}, not {value!r}")
        return value
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise UsageError(f"{where}: {spec.name} must be true or false, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UsageError(f"{where}: {spec.name} must be a number, not {value!r}")
    number = float(value)
    too_small = number <= spec.minimum if spec.strict_min else number < spec.minimum
    if too_small:
        bound = "greater than" if spec.strict_min else "at least"
        shown = f"{spec.minimum:g}"
        raise UsageError(f"{where}: {spec.name} must be {bound} {shown}, not {value!r}")
    return number


def _parse_env_number(spec: _Spec, raw: str) -> float:
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise UsageError(f"{RATE_ENV} must be a positive number, not {raw!r}")
    return _check(spec, number, RATE_ENV)


def _raw_config(root: Path) -> dict[str, Any]:
    path = root / STATE_DIR / CONFIG_NAME
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read: {exc}") from None


def unknown_options(mirror: Mirror) -> list[str]:
    """Keys under ``[options]`` that no command reads (typos, usually)."""
    return sorted(set(mirror.config.options) - _OPTION_KEYS)


def effective(
    mirror: Mirror,
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> list[Setting]:
    """Every option's effective value with its source, in a stable order.

    ``overrides`` are command-line flags the caller was given (``None``
    values mean "flag not given"); ``environ`` defaults to ``os.environ``.
    Raises :class:`UsageError` for an invalid value, naming where it came from.
    """
    env = os.environ if environ is None else environ
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(unknown)}")
    raw = _raw_config(mirror.root)
    options = mirror.config.options
    out: list[Setting] = []
    for spec in _SPECS:
        if spec.name in overrides:
            value = _check(spec, overrides[spec.name], f"--{spec.name.replace('_', '-')}")
            source = SOURCE_FLAG
        elif spec.name == "rate_limit" and env.get(RATE_ENV) is not None:
            value = _parse_env_number(spec, env[RATE_ENV])
            source = SOURCE_ENV
        elif spec.name == "mode" and "mode" in raw:
            value = _check(spec, raw["mode"], SOURCE_CONFIG)
            source = SOURCE_CONFIG
        elif spec.name in options:
            value = _check(spec, options[spec.name], SOURCE_OPTIONS)
            source = SOURCE_OPTIONS
        else:
            value = spec.default
            source = SOURCE_DEFAULT
        out.append(Setting(spec.name, value, source, spec.help, spec.unit))
    return out


def values(settings: list[Setting]) -> dict[str, Any]:
    """``{name: value}`` of :func:`effective`'s result."""
    return {s.name: s.value for s in settings}
