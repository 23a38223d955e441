"""The demo dataset seeds into the emulator exactly as written, over plain HTTP.

Checks the fixtures themselves first (well formed, canonical bodies, every
property type), then what a seeded data source looks like from the API side:
row count through a paginated query, schema coverage, resolved placeholders,
tricky titles kept byte for byte, and bodies read back unchanged.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from notion_mirror.demo import DEFAULT_FIXTURES_DIR, DemoIds, load_demo_fixtures, seed_demo
from notion_mirror.errors import NotFoundError, NotionValidationError, UnauthorizedError

if TYPE_CHECKING:
    from notion_mirror.testing import EmulatorHandle

try:  # the body codec lands separately; until then bodies are compared as sent
    from notion_mirror.codec.body import canonicalize as _canonicalize
except ImportError:  # pragma: no cover - depends on which parts exist yet
    _canonicalize = None

FIXTURES = load_demo_fixtures()

EVERY_CREATABLE_TYPE = {
    "title", "rich_text", "number", "select", "multi_select", "status", "date", "people",
    "files", "checkbox", "url", "email", "phone_number", "relation", "formula", "rollup",
    "created_time", "last_edited_time", "created_by", "last_edited_by", "unique_id",
}  # fmt: skip

LONG_TITLE_MIN_BYTES = 290
TRICKY_TITLES = [
    "../../etc/passwd",
    "a/b: c",
    "CON",
    ".hidden",
    "Café",
    "Cafe\u0301",
    "Foo",
    "foo",
    "",
    "🚀 Launch dark mode to 100%",
    "yes",
    "2026-01-01",
]


def _title_of(properties: dict[str, Any], name: str = "Name") -> str:
    parts = properties[name]["title"]
    # Fixtures hold request shapes (text.content); responses hold plain_text.
    return "".join(p.get("plain_text", p.get("text", {}).get("content", "")) for p in parts)


def _expected_body(sent: str) -> str:
    return _canonicalize(sent) if _canonicalize is not None else sent


def _non_code_lines(markdown: str) -> Iterator[tuple[int, str]]:
    fence: str | None = None
    for number, line in enumerate(markdown.split("\n"), start=1):
        stripped = line.lstrip("\t")
        if fence is None and stripped.startswith("```"):
            fence = line[: len(line) - len(stripped)] + "```"
            continue
        if fence is not None:
            if line == fence:
                fence = None
            continue
        yield number, line


# ---------------------------------------------------------------- the fixtures alone


def test_fixtures_folder_is_found_from_the_source_tree() -> None:
    assert (DEFAULT_FIXTURES_DIR / "tasks.json").is_file()
    assert (DEFAULT_FIXTURES_DIR / "README.md").is_file()


def test_schema_covers_every_creatable_property_type() -> None:
    tasks = FIXTURES.schema["tasks"]["properties"]
    types = {next(iter(config)) for config in tasks.values()}
    assert types == EVERY_CREATABLE_TYPE
    assert next(iter(tasks)) == "Name"
    assert tasks["ID"] == {"unique_id": {"prefix": "ENG"}}


def test_rows_are_about_forty_with_the_tricky_titles() -> None:
    assert 38 <= len(FIXTURES.tasks) <= 45
    titles = Counter(_title_of(row["properties"]) for row in FIXTURES.tasks)
    for title in TRICKY_TITLES:
        assert titles[title] >= 1, title
    assert max(titles.values()) >= 2  # two rows share one exact title
    assert any(len(t.encode()) >= LONG_TITLE_MIN_BYTES for t in titles)
    # The Café twins must stay distinct code point sequences on disk.
    assert unicodedata.is_normalized("NFC", "Café")
    assert not unicodedata.is_normalized("NFC", "Cafe\u0301")


def test_bodies_are_already_in_notion_canonical_form() -> None:
    rows = FIXTURES.tasks + FIXTURES.projects
    assert sum(1 for row in rows if not row["markdown"]) >= 2  # some empty bodies
    for row in rows:
        body = row["markdown"]
        if not body:
            continue
        where = _title_of(row["properties"])
        assert "\r" not in body, where
        assert not body.endswith("\n"), where
        for number, line in _non_code_lines(body):
            assert line.strip(), f"{where!r}: blank line {number} outside code"
            assert not line.startswith(" "), f"{where!r}: line {number} indented with spaces"


def test_bodies_cover_the_common_block_types() -> None:
    everything = "\n".join(row["markdown"] for row in FIXTURES.tasks)
    for marker in [
        "\n## ", "\n### ", "**", "*italic", "~~", "`", "](https://", "\n- ", "\n\t- ",
        "\n1. ", "\n- [ ] ", "\n- [x] ", "\n> ", "\n---\n", "```python\n", "```typescript\n",
        "```shell\n", '<callout icon="💡" color="blue_bg">\n\t', "<details>\n<summary>",
        '{toggle="true"}\n\t', '<table header-row="true">\n<tr>\n<td>', "\n$$\n",
        "\n<empty-block/>\n",
    ]:  # fmt: skip
        if marker == "*italic":
            assert "*without*" in everything
            continue
        assert marker in everything, marker
    assert "\n\n" in everything  # a blank line inside a code block


def test_placeholders_point_at_existing_rows() -> None:
    text = json.dumps(FIXTURES.tasks)
    for index in range(10):
        if f'"@project:{index}"' in text:
            assert index < len(FIXTURES.projects)


# ---------------------------------------------------------------- seeded into the emulator


def _api(emulator: EmulatorHandle) -> httpx.Client:
    return httpx.Client(
        base_url=emulator.base_url,
        headers={"Authorization": f"Bearer {emulator.token}", "Notion-Version": "2026-03-11"},
        timeout=30,
    )


def _query_all(api: httpx.Client, data_source_id: str) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    batches = 0
    while True:
        body: dict[str, Any] = {"page_size": 10}
        if cursor:
            body["start_cursor"] = cursor
        res = api.post(f"/v1/data_sources/{data_source_id}/query", json=body)
        assert res.status_code == 200, res.text
        data = res.json()
        rows += data["results"]
        batches += 1
        if not data["has_more"]:
            return rows, batches
        cursor = data["next_cursor"]


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[DemoIds, httpx.Client]]:
    # Seeding costs ~50 requests and the tests below only read, so one seeded
    # emulator serves the whole module.
    from notion_mirror.testing import running_emulator

    with running_emulator() as emulator:
        ids = seed_demo(emulator.base_url, emulator.token, emulator.root_page_id)
        with _api(emulator) as api:
            yield ids, api


def test_seed_creates_every_row(seeded: tuple[DemoIds, httpx.Client]) -> None:
    ids, api = seeded
    assert len(ids.page_ids) == len(FIXTURES.tasks)
    assert len(ids.project_page_ids) == len(FIXTURES.projects)

    rows, batches = _query_all(api, ids.data_source_id)
    assert batches == -(-len(FIXTURES.tasks) // 10)
    assert len(rows) == len(FIXTURES.tasks)
    assert {r["id"] for r in rows} == set(ids.page_ids)

    projects, _ = _query_all(api, ids.projects_data_source_id)
    assert {r["id"] for r in projects} == set(ids.project_page_ids)


def test_seeded_schema_has_every_property_type(seeded: tuple[DemoIds, httpx.Client]) -> None:
    ids, api = seeded
    schema = api.get(f"/v1/data_sources/{ids.data_source_id}").json()
    props = schema["properties"]
    assert {p["type"] for p in props.values()} == EVERY_CREATABLE_TYPE
    assert set(props) == set(FIXTURES.schema["tasks"]["properties"])
    assert props["Project"]["relation"]["data_source_id"] == ids.projects_data_source_id
    assert props["ID"]["unique_id"]["prefix"] == "ENG"
    assert props["Project budget"]["rollup"]["function"] == "sum"
    assert [o["name"] for o in props["Priority"]["select"]["options"]] == [
        "Low", "Medium", "High", "Urgent",
    ]  # fmt: skip

    database = api.get(f"/v1/databases/{ids.database_id}").json()
    assert database["data_sources"][0]["id"] == ids.data_source_id


def test_titles_arrive_verbatim(seeded: tuple[DemoIds, httpx.Client]) -> None:
    ids, api = seeded
    rows, _ = _query_all(api, ids.data_source_id)
    got = Counter(_title_of(r["properties"]) for r in rows)
    want = Counter(_title_of(row["properties"]) for row in FIXTURES.tasks)
    assert got == want
    for title in TRICKY_TITLES:
        assert got[title] >= 1, title


def test_placeholders_resolve_to_real_ids(seeded: tuple[DemoIds, httpx.Client]) -> None:
    ids, api = seeded
    users = {u["id"] for u in api.get("/v1/users").json()["results"]}
    by_id = {r["id"]: r for r in _query_all(api, ids.data_source_id)[0]}
    for page_id, row in zip(ids.page_ids, FIXTURES.tasks, strict=True):
        props = by_id[page_id]["properties"]
        sent = row["properties"]
        if "Project" in sent:
            wanted = [
                ids.project_page_ids[int(r["id"].split(":")[1])]
                for r in sent["Project"]["relation"]
            ]
            assert [r["id"] for r in props["Project"]["relation"]] == wanted
        if "Owner" in sent:
            owners = [p["id"] for p in props["Owner"]["people"]]
            assert owners and set(owners) <= users
        assert props["ID"]["unique_id"]["prefix"] == "ENG"


def test_rich_values_survive(seeded: tuple[DemoIds, httpx.Client]) -> None:
    ids, api = seeded
    by_title = {
        _title_of(r["properties"]): r["properties"] for r in _query_all(api, ids.data_source_id)[0]
    }

    notes = by_title["Upgrade the payments SDK to v5"]["Notes"]["rich_text"]
    assert any(n["annotations"]["bold"] for n in notes)
    assert any(n["annotations"]["italic"] and n["annotations"]["color"] == "red" for n in notes)
    assert any(n["href"] == "https://example.com/vendor/changelog" for n in notes)

    due = by_title["Load test window for the spring sale"]["Due"]["date"]
    assert due["time_zone"] == "Europe/Berlin"
    assert due["start"].startswith("2026-03-02T09:00")
    assert due["end"].startswith("2026-03-06T17:00")

    estimate = by_title["Migrate CI to GitHub Actions"]
    assert estimate["Effort (h)"]["formula"]["number"] == 16


def test_bodies_round_trip_through_the_markdown_endpoint(
    seeded: tuple[DemoIds, httpx.Client],
) -> None:
    ids, api = seeded
    for page_id, row in zip(ids.page_ids, FIXTURES.tasks, strict=True):
        res = api.get(f"/v1/pages/{page_id}/markdown")
        assert res.status_code == 200, res.text
        got = res.json()
        assert got["truncated"] is False
        assert got["markdown"] == _expected_body(row["markdown"]), _title_of(row["properties"])


# ---------------------------------------------------------------- failures are clear


def test_bad_token_raises_notions_error(emulator: EmulatorHandle) -> None:
    with pytest.raises(UnauthorizedError) as caught:
        seed_demo(emulator.base_url, "ntn_wrong", emulator.root_page_id)
    assert caught.value.status == 401
    assert caught.value.code == "unauthorized"
    assert "ntn_wrong" not in str(caught.value)


def test_missing_parent_raises_not_found(emulator: EmulatorHandle) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(NotFoundError) as caught:
        seed_demo(emulator.base_url, emulator.token, missing)
    assert caught.value.code == "object_not_found"
    assert "/v1/databases" in str(caught.value)


# ---------------------------------------------------------------- request shapes, no server

PERSONS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
BOT = "99999999-9999-4999-8999-999999999999"


class _FakeNotion:
    """Answers the handful of endpoints the seed uses and records every request."""

    def __init__(self, *, users_status: int = 200, rate_limit_first_page: bool = True) -> None:
        self.requests: list[tuple[str, str, dict[str, Any] | None, httpx.Headers]] = []
        self.users_status = users_status
        self.rate_limit_first_page = rate_limit_first_page
        self.next_id = 0

    def _id(self) -> str:
        self.next_id += 1
        return f"00000000-0000-4000-8000-{self.next_id:012d}"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, request.url.path, body, request.headers))
        route = (request.method, request.url.path)
        if route == ("GET", "/v1/users"):
            if self.users_status != 200:
                error = {
                    "object": "error",
                    "status": self.users_status,
                    "code": "restricted_resource",
                    "message": "Insufficient permissions.",
                }
                return httpx.Response(self.users_status, json=error)
            users = [{"object": "user", "id": BOT, "type": "bot", "bot": {}}] + [
                {"object": "user", "id": pid, "type": "person", "name": f"P{i}"}
                for i, pid in enumerate(PERSONS)
            ]
            return httpx.Response(
                200,
                json={"object": "list", "results": users, "has_more": False, "next_cursor": None},
            )
        if route == ("POST", "/v1/databases"):
            return httpx.Response(
                200,
                json={
                    "object": "database",
                    "id": self._id(),
                    "data_sources": [{"id": self._id(), "name": ""}],
                },
            )
        if request.method == "PATCH" and request.url.path.startswith("/v1/data_sources/"):
            return httpx.Response(200, json={"object": "data_source", "id": "x"})
        if route == ("POST", "/v1/pages"):
            if self.rate_limit_first_page:
                self.rate_limit_first_page = False
                error = {
                    "object": "error",
                    "status": 429,
                    "code": "rate_limited",
                    "message": "You have been rate limited.",
                }
                return httpx.Response(429, headers={"Retry-After": "2"}, json=error)
            return httpx.Response(200, json={"object": "page", "id": self._id()})
        return httpx.Response(
            400,
            json={
                "object": "error",
                "status": 400,
                "code": "invalid_request_url",
                "message": "Invalid request URL.",
            },
        )


def _seed_fake(fake: _FakeNotion) -> tuple[DemoIds, list[float]]:
    waits: list[float] = []
    ids = seed_demo(
        "https://api.notion.test/",
        "ntn_secret",
        "root",
        sleep=waits.append,
        transport=httpx.MockTransport(fake),
    )
    return ids, waits


def test_seed_sends_documented_shapes_and_resolves_placeholders() -> None:
    fake = _FakeNotion()
    ids, waits = _seed_fake(fake)

    assert waits == [2.0]  # one 429, waited out as Retry-After said, then retried
    for _method, _path, _body, headers in fake.requests:
        assert headers["Authorization"] == "Bearer ntn_secret"
        assert headers["Notion-Version"] == "2026-03-11"

    databases = [b for m, p, b, _ in fake.requests if (m, p) == ("POST", "/v1/databases")]
    assert [d["title"][0]["text"]["content"] for d in databases] == [
        "Projects",
        "Engineering tasks",
    ]
    assert all(d["parent"] == {"type": "page_id", "page_id": "root"} for d in databases)
    tasks_schema = databases[1]["initial_data_source"]["properties"]
    assert tasks_schema["Project"]["relation"]["data_source_id"] == ids.projects_data_source_id
    assert "Project budget" not in tasks_schema  # rollups go in the follow-up PATCH

    patches = [(p, b) for m, p, b, _ in fake.requests if m == "PATCH"]
    assert patches == [
        (
            f"/v1/data_sources/{ids.data_source_id}",
            {
                "properties": {
                    "Project budget": FIXTURES.schema["tasks"]["properties"]["Project budget"]
                }
            },
        ),
    ]

    pages = [b for m, p, b, _ in fake.requests if (m, p) == ("POST", "/v1/pages")]
    pages = pages[1:]  # the first attempt was rate limited and sent again
    assert len(pages) == len(FIXTURES.projects) + len(FIXTURES.tasks)
    assert "@" not in json.dumps([p["parent"] for p in pages])
    task_pages = pages[len(FIXTURES.projects) :]
    for sent, row in zip(task_pages, FIXTURES.tasks, strict=True):
        assert sent["parent"] == {"type": "data_source_id", "data_source_id": ids.data_source_id}
        assert ("markdown" in sent) == bool(row["markdown"])
        if row["markdown"]:
            assert sent["markdown"] == row["markdown"]
        props = sent["properties"]
        for person in props.get("Owner", {}).get("people", []):
            assert person["id"] in PERSONS  # people only, never the bot
        for project in props.get("Project", {}).get("relation", []):
            assert project["id"] in ids.project_page_ids
    assert len(ids.page_ids) == len(set(ids.page_ids)) == len(FIXTURES.tasks)


def test_seed_without_user_access_leaves_owners_empty() -> None:
    fake = _FakeNotion(users_status=403, rate_limit_first_page=False)
    _ids, _waits = _seed_fake(fake)
    pages = [b for m, p, b, _ in fake.requests if (m, p) == ("POST", "/v1/pages")]
    owners = [b["properties"]["Owner"] for b in pages if "Owner" in b["properties"]]
    assert owners and all(o == {"people": []} for o in owners)


def test_seed_error_carries_notions_code_and_message() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/users":
            return httpx.Response(200, json={"object": "list", "results": [], "has_more": False})
        error = {
            "object": "error",
            "status": 400,
            "code": "validation_error",
            "message": "body.parent.page_id should be a valid uuid",
            "request_id": "r-1",
        }
        return httpx.Response(400, json=error)

    with pytest.raises(NotionValidationError) as caught:
        seed_demo(
            "https://api.notion.test", "ntn_secret", "root", transport=httpx.MockTransport(refuse)
        )
    text = str(caught.value)
    assert "validation_error" in text
    assert "should be a valid uuid" in text
    assert "POST /v1/databases" in text
    assert "ntn_secret" not in text + repr(caught.value)
