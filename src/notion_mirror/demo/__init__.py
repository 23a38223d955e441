"""The demo dataset: a realistic "Engineering tasks" data source to seed into Notion.

``seed_demo`` creates it through the public API, so it works against the
local emulator and against real Notion alike.
"""

from notion_mirror.demo.seed import (
    DEFAULT_FIXTURES_DIR,
    DemoFixtures,
    DemoIds,
    load_demo_fixtures,
    seed_demo,
)

__all__ = [
    "DEFAULT_FIXTURES_DIR",
    "DemoFixtures",
    "DemoIds",
    "load_demo_fixtures",
    "seed_demo",
]
