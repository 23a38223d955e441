from __future__ import annotations

import pytest

from notion_mirror.notion import extract_id, normalize_id

DASHED = "393abc1e-edcd-8181-8d59-e30a27148c69"
HEX = DASHED.replace("-", "")


@pytest.mark.parametrize("value", [DASHED, HEX, HEX.upper(), DASHED.upper(), f"  {HEX}\n"])
def test_normalize_id_accepts_both_forms(value: str) -> None:
    assert normalize_id(value) == DASHED


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        HEX[:-1],
        HEX + "0",
        "g" * 32,
        "393abc1eedcd-8181-8d59-e30a27148c69",
        "393a-bc1e-edcd-8181-8d59-e30a27148c69",
        None,
        123,
    ],
)
def test_normalize_id_rejects_garbage(value: object) -> None:
    with pytest.raises(ValueError):
        normalize_id(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.notion.so/acme/Fix-login-bug-{HEX}",
        f"https://www.notion.so/acme/Tasks-{HEX}?v=0123456789abcdef0123456789abcdef",
        f"https://www.notion.so/{HEX}?v=0123456789abcdef0123456789abcdef&pvs=4",
        f"https://app.notion.com/p/{HEX}",
        f"https://app.notion.com/p/Test-Page-{HEX}",
        f"https://app.notion.com/p/{DASHED}",
        f"www.notion.so/acme/Title-{HEX}#0123456789abcdef0123456789abcdef",
        f"https://acme.notion.site/Public-{HEX}/",
        HEX,
        DASHED,
    ],
)
def test_extract_id_takes_path_id_not_view(url: str) -> None:
    assert extract_id(url) == DASHED


@pytest.mark.parametrize(
    "value",
    [
        "https://www.notion.so/acme/No-id-here",
        "https://www.notion.so/?v=0123456789abcdef0123456789abcdef",
        "ftp://www.notion.so/" + HEX,
        "not a url",
        f"https://www.notion.so/acme/x{HEX}1",
    ],
)
def test_extract_id_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        extract_id(value)
