"""Unit tests of the watch daemon: intake, capture and observer fallback."""
