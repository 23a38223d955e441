"""The emulator's injectable clock: real time plus an offset, or frozen.

Tests need to place edits in the same minute or across minutes without
sleeping, because Notion floors ``last_edited_time`` to the minute.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def set(self, when: datetime, *, freeze: bool = False) -> None:
        """Jump to ``when``; the clock keeps ticking from there unless frozen."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        when = when.astimezone(UTC)
        with self._lock:
            if freeze:
                self._frozen = when
            else:
                self._frozen = None
                self._offset = when - datetime.now(UTC)

    def real(self) -> None:
        with self._lock:
            self._frozen = None
            self._offset = timedelta()

    @property
    def is_frozen(self) -> bool:
        return self._frozen is not None


def floor_minute(dt: datetime) -> str:
    """Notion's page/data source timestamp: minute-floored, millisecond ``Z`` form."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:00.000Z")


def precise(dt: datetime) -> str:
    """Database objects carry full precision with a ``+00:00`` offset (as recorded)."""
    return dt.astimezone(UTC).isoformat(timespec="milliseconds")


def iso_z(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
