"""Benchmarks of notion-mirror against the bundled emulator; run with ``scripts/bench``."""
