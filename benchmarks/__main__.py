"""``python -m benchmarks [NAME...] [--quick] [--write]`` (what ``scripts/bench`` runs)."""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks._common import Section, log

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def _registry() -> dict[str, Callable[[bool], Section]]:
    from benchmarks import mount_bench, requests_bench, scan_bench, watch_latency

    return {
        "requests": requests_bench.run,
        "scan": scan_bench.run,
        "watch-latency": watch_latency.run,
        "mount-grep": mount_bench.run,
    }


def write_doc(sections: list[Section]) -> None:
    """Replace each benchmark's generated block in docs/benchmarks.md, keeping the prose."""
    text = DOC.read_text(encoding="utf-8")
    for s in sections:
        start, end = f"<!-- bench:{s.name} -->", f"<!-- /bench:{s.name} -->"
        block = f"{start}\n{s.markdown()}{end}"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _, block=block: block, text)
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    registry = _registry()
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Measure request counts and local work against the emulator. "
        "Benchmarks measure; they never fail on a figure.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME",
        help=f"benchmarks to run (default: all): {', '.join(registry)}",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument(
        "--write", action="store_true", help="replace the results blocks in docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in registry]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; pick from {', '.join(registry)}")
    sections = []
    for name in args.names or list(registry):
        started = time.perf_counter()
        log(f"{name}: start{' (quick)' if args.quick else ''}")
        section = registry[name](args.quick)
        log(f"{name}: done in {time.perf_counter() - started:.0f} s")
        sys.stdout.write(section.markdown() + "\n")
        sys.stdout.flush()
        sections.append(section)
    if args.write:
        write_doc(sections)
        log(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
