"""Notion rich text <-> inline enhanced Markdown (reference §3).

``to_markdown`` emits marks per run, as Notion does, so a run whose text starts or ends
with whitespace keeps that whitespace inside its markers (``**x **``).  CommonMark does
not read such markers as emphasis, so ``from_markdown`` first swaps the characters next
to every unescaped ``*``/``~`` delimiter run for placeholder letters (see ``_protect``);
mistune then sees every run as both left- and right-flanking and pairs them as Notion
meant.  The cost: an unescaped literal ``*`` typed by a user between spaces can pair
with another one (``2 * 3 * 4``); Notion's own output always escapes literal ``*``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import mistune

from notion_mirror.codec import _inline

__all__ = [
    "ANNOTATION_KEYS",
    "canonical_richtext",
    "escape_text",
    "from_markdown",
    "plain_text",
    "to_markdown",
]

ANNOTATION_KEYS = ("bold", "italic", "strikethrough", "underline", "code", "color")
DEFAULT_ANNOTATIONS: dict[str, Any] = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}
MAX_TEXT = 2000  # Notion's per-run text.content limit (request limits, docs D5)
PAGE_URL = "https://app.notion.com/p/"

_SPECIAL = set("\\*~`$[]<>{}|^")
_SPAN_OPEN = re.compile(r"<span(?P<attrs>(?:\s+[\w-]+=\"[^\"]*\")*)\s*>\Z")
_MENTION = re.compile(
    r"<(?P<tag>mention-[a-z-]+)(?P<attrs>(?:\s+[\w-]+=\"[^\"]*\")*)\s*(?P<sc>/?)>\Z"
)
_MENTION_CLOSE = re.compile(r"</mention-[a-z-]+\s*>\Z")
_ATTR = re.compile(r"([\w-]+)=\"([^\"]*)\"")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


# ----------------------------------------------------------------------------- output


def escape_text(text: str) -> str:
    """Escape plain text the way Notion does, newlines as ``<br>``.

    ``_`` is not in Notion's escape list; we escape it only where CommonMark could read it
    as an emphasis delimiter (not between two alphanumerics), which keeps snake_case words
    byte-identical while letting ``_x_`` survive a round trip as literal text.
    """
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append("<br>")
        elif ch in _SPECIAL:
            out.append("\\" + ch)
        elif ch == "_":
            before = text[i - 1] if i else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            intraword = before.isalnum() and after.isalnum()
            out.append("_" if intraword else "\\_")
        else:
            out.append(ch)
    return "".join(out)


def _code_span(content: str) -> str:
    longest = max((len(m) for m in re.findall("`+", content)), default=0)
    fence = "`" * (longest + 1)
    pad = ""
    # CommonMark strips one space from both ends, and a leading/trailing backtick would
    # merge with the fence: pad with a space in those cases.
    edge = content.startswith(("`", " ")) or content.endswith(("`", " "))
    if edge and content.strip(" "):
        pad = " "
    return f"{fence}{pad}{content}{pad}{fence}"


def _math(expr: str) -> str:
    longest = max((len(m) for m in re.findall("`+", expr)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence}{expr}{fence}"


def _attr_dict(raw: str) -> dict[str, str]:
    return dict(_ATTR.findall(raw))


def _dashless(value: str) -> str:
    return value.replace("-", "").lower()


def _dashed(value: str) -> str:
    h = _dashless(value)
    if len(h) != 32:
        return value
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _mention_markdown(mention: dict[str, Any], plain: str) -> str:
    kind = mention.get("type")
    if kind == "user":
        return f'<mention-user url="user://{mention["user"]["id"]}"/>'
    if kind in ("page", "database", "data_source"):
        tag = "mention-" + kind.replace("_", "-")
        return f'<{tag} url="{PAGE_URL}{_dashless(mention[kind]["id"])}"/>'
    if kind == "date":
        date = mention["date"]
        parts = [f'start="{date["start"]}"']
        if date.get("end"):
            parts.append(f'end="{date["end"]}"')
        if date.get("time_zone"):
            parts.append(f'timeZone="{date["time_zone"]}"')
        return f"<mention-date {' '.join(parts)}/>"
    if kind == "custom_emoji":
        return f":{mention['custom_emoji'].get('name', '')}:"
    if kind == "link_preview":
        url = mention["link_preview"]["url"]
        return f"[{escape_text(plain or url)}]({_link_dest(url)})"
    # template mentions and anything newer: the visible text is all markdown can hold.
    return escape_text(plain)


def _link_dest(url: str) -> str:
    if re.search(r"[\s()<>]", url):
        return "<" + url.replace(">", "%3E").replace("<", "%3C") + ">"
    return url


def _run_core(item: dict[str, Any]) -> str:
    kind = item.get("type", "text")
    ann = {**DEFAULT_ANNOTATIONS, **(item.get("annotations") or {})}
    if kind == "equation":
        expr = item["equation"]["expression"]
        # mistune's $`…`$ rule keeps the content verbatim, so no padding here.
        return "$" + _math(expr) + "$"
    if kind == "mention":
        return _mention_markdown(item["mention"], item.get("plain_text", ""))
    text = item.get("text") or {}
    content = text.get("content", item.get("plain_text", ""))
    if ann["code"]:
        pieces = content.split("\n")
        core = "<br>".join(_code_span(p) if p else "" for p in pieces)
    else:
        core = escape_text(content)
    link = (text.get("link") or {}).get("url") if text.get("link") else None
    if link:
        core = f"[{core}]({_link_dest(link)})"
    return core


def _wrap(item: dict[str, Any], core: str) -> str:
    ann = {**DEFAULT_ANNOTATIONS, **(item.get("annotations") or {})}
    if ann["strikethrough"]:
        core = f"~~{core}~~"
    stars = ("*" if ann["italic"] else "") + ("**" if ann["bold"] else "")
    if stars:
        core = f"{stars}{core}{stars}"
    if ann["underline"]:
        core = f'<span underline="true">{core}</span>'
    if ann["color"] and ann["color"] != "default":
        core = f'<span color="{_md_color(ann["color"])}">{core}</span>'
    return core


def _md_color(color: str) -> str:
    return color[: -len("_background")] + "_bg" if color.endswith("_background") else color


def _api_color(color: str) -> str:
    return color[: -len("_bg")] + "_background" if color.endswith("_bg") else color


def to_markdown(rich_text: Iterable[dict[str, Any]]) -> str:
    """Render Notion rich text (response or request shape) as inline enhanced markdown."""
    out: list[str] = []
    for item in rich_text:
        core = _run_core(item)
        if core:
            out.append(_wrap(item, core))
    return "".join(out)


def plain_text(rich_text: Iterable[dict[str, Any]]) -> str:
    """The concatenated visible text, as Notion's ``plain_text`` fields give it."""
    parts: list[str] = []
    for item in rich_text:
        if "plain_text" in item:
            parts.append(item["plain_text"])
        elif item.get("type") == "equation":
            parts.append(item["equation"]["expression"])
        elif item.get("type") == "mention":
            parts.append("")
        else:
            parts.append((item.get("text") or {}).get("content", ""))
    return "".join(parts)


# ------------------------------------------------------------------------------ input

_md = mistune.create_markdown(renderer=None, plugins=["strikethrough", "math"])


def _parse_br(inline: Any, m: re.Match[str], state: Any) -> int:
    state.append_token({"type": "linebreak"})
    return m.end()


_md.inline.register("notion_br", r"<br\s*/?>", _parse_br, before="inline_html")

_PLACEHOLDER_BASE = 0x30000  # CJK Ext. G: letters to mistune, never typed in practice
_PLACEHOLDER_END = 0x31340


def _skip_spans(text: str) -> list[tuple[int, int]]:
    """Ranges (code spans, math, tags, link destinations) where delimiters are not marks."""
    # The matches of r"\\.|\$?(`+)[\s\S]*?\1\$?|<[^<>\n]*>|\]\((?:<[^>]*>|[^)\s]*)\)",
    # found in linear time (that expression backtracks cubically on a backtick run).
    return _inline.protected_spans(text, rich=True)


def _protect(text: str) -> tuple[str, dict[str, str]]:
    if any(_PLACEHOLDER_BASE <= ord(c) < _PLACEHOLDER_END for c in text):
        return text, {}
    inside = bytearray(len(text))
    ph, tilde = chr(_PLACEHOLDER_BASE), chr(_PLACEHOLDER_BASE + 1)
    chars = list(text)
    for a, b in _skip_spans(text):
        inside[a:b] = b"\x01" * (b - a)
        if text[a] in "`$":
            # mistune's strikethrough rule is a plain regex that would close inside a
            # code span; hide the tildes there and give them back afterwards.
            for j in range(a, b):
                if text[j] == "~":
                    chars[j] = tilde
    open_len = 0  # length of the '*' run currently open, in Notion's per-run emission
    for found in re.finditer(r"\*+|~~", text):
        start = found.start()
        while start < found.end() and inside[start]:
            start += 1  # an escaped '\*' right before a real delimiter
        if start == found.end():
            continue
        m = re.compile(r"\*+|~~").match(text, start, found.end())
        if m is None:
            continue
        # An invisible letter on both sides makes every run both left- and right-flanking.
        if m.start() > 0 and not text[m.start() - 1].isalnum():
            chars[m.start() - 1] += ph
        if m.end() < len(text) and not text[m.end()].isalnum():
            chars[m.end() - 1] += ph
        if m.group().startswith("~"):
            continue
        n = len(m.group())
        after_atom = (m.start() > 0 and text[m.start() - 1] in ">$)~`") or (
            m.end() < len(text) and text[m.end()] in "<$[~`"
        )
        if open_len and n > open_len and (n >= 4 or after_atom):
            # '****' (or '**' right after a mention, equation or link) is a close and an
            # open fused by per-run emission; CommonMark would pair it differently, so
            # split it with an invisible letter.
            chars[m.start() + open_len - 1] += ph
            open_len = n - open_len
        else:
            open_len = 0 if open_len == n else n
    return "".join(chars), {ph: "", tilde: "~"}


def _annotations(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state.get(k, DEFAULT_ANNOTATIONS[k]) for k in ANNOTATION_KEYS}


class _Builder:
    def __init__(self, restore: dict[str, str]) -> None:
        self.out: list[dict[str, Any]] = []
        self.restore = restore
        self.skip_depth = 0  # inside <mention-x>…</mention-x>: inner text is display only

    def fix(self, s: str) -> str:
        if not self.restore:
            return s
        return "".join(self.restore.get(c, c) for c in s)

    def text(self, content: str, ctx: dict[str, Any]) -> None:
        if not content or self.skip_depth:
            return
        link = {"url": ctx["link"]} if ctx.get("link") else None
        self.out.append(
            {
                "type": "text",
                "text": {"content": content, "link": link},
                "annotations": _annotations(ctx),
            }
        )

    def walk(self, tokens: list[dict[str, Any]], ctx: dict[str, Any]) -> None:
        spans: list[dict[str, Any]] = []  # contexts saved by open <span> tags
        for tok in tokens:
            kind = tok["type"]
            if kind == "text":
                self.text(self.fix(tok["raw"]), ctx)
            elif kind in ("softbreak", "linebreak"):
                self.text("\n", ctx)
            elif kind == "strong":
                self.walk(tok["children"], {**ctx, "bold": True})
            elif kind == "emphasis":
                self.walk(tok["children"], {**ctx, "italic": True})
            elif kind == "strikethrough":
                self.walk(tok["children"], {**ctx, "strikethrough": True})
            elif kind == "codespan":
                self.text(self.fix(tok["raw"]), {**ctx, "code": True})
            elif kind == "link":
                self.walk(tok["children"], {**ctx, "link": self.fix(tok["attrs"]["url"])})
            elif kind == "inline_math":
                if not self.skip_depth:
                    self.out.append(
                        {
                            "type": "equation",
                            "equation": {"expression": self.fix(tok["raw"])},
                            "annotations": _annotations(ctx),
                        }
                    )
            elif kind == "inline_html":
                ctx = self.html(self.fix(tok["raw"]), ctx, spans)
            elif "children" in tok:
                self.walk(tok["children"], ctx)
            elif "raw" in tok:
                self.text(self.fix(tok["raw"]), ctx)

    def html(self, raw: str, ctx: dict[str, Any], spans: list[dict[str, Any]]) -> dict[str, Any]:
        if m := _SPAN_OPEN.match(raw):
            attrs = _attr_dict(m.group("attrs"))
            spans.append(ctx)
            new = dict(ctx)
            if attrs.get("underline") == "true":
                new["underline"] = True
            if "color" in attrs:
                new["color"] = _api_color(attrs["color"])
            return new
        if re.fullmatch(r"</span\s*>", raw) and spans:
            return spans.pop()
        if m := _MENTION.match(raw):
            mention = _mention_request(m.group("tag"), _attr_dict(m.group("attrs")))
            if mention is not None:
                if not self.skip_depth:
                    self.out.append(
                        {"type": "mention", "mention": mention, "annotations": _annotations(ctx)}
                    )
                if not m.group("sc"):
                    self.skip_depth += 1
                return ctx
        if _MENTION_CLOSE.match(raw) and self.skip_depth:
            self.skip_depth -= 1
            return ctx
        self.text(raw, ctx)  # unknown inline html stays literal text
        return ctx


def _mention_request(tag: str, attrs: dict[str, str]) -> dict[str, Any] | None:
    url = attrs.get("url", "")
    if tag == "mention-user" and url.startswith("user://"):
        return {"type": "user", "user": {"id": url[len("user://") :]}}
    if tag in ("mention-page", "mention-database", "mention-data-source"):
        found = _HEX32.findall(url)
        if not found:
            return None
        kind = tag[len("mention-") :].replace("-", "_")
        return {"type": kind, kind: {"id": _dashed(found[-1])}}
    if tag == "mention-date" and "start" in attrs:
        date: dict[str, Any] = {"start": attrs["start"], "end": attrs.get("end")}
        if "timeZone" in attrs:
            date["time_zone"] = attrs["timeZone"]
        return {"type": "date", "date": date}
    return None


def _split_long(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        content = item.get("text", {}).get("content") if item["type"] == "text" else None
        if content is None or len(content) <= MAX_TEXT:
            out.append(item)
            continue
        for i in range(0, len(content), MAX_TEXT):
            out.append({**item, "text": {**item["text"], "content": content[i : i + MAX_TEXT]}})
    return out


def from_markdown(text: str) -> list[dict[str, Any]]:
    """Parse inline enhanced markdown into Notion request rich text objects."""
    if not text:
        return []
    protected, restore = _protect(text)
    tokens = _md.inline(protected, {})
    builder = _Builder(restore)
    builder.walk(tokens, {})
    return _split_long(_merge(builder.out))


# -------------------------------------------------------------------------- compare


def _comparable(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("type") or ("text" if "text" in item else "mention" if "mention" in item
                                else "equation")
    ann = {**DEFAULT_ANNOTATIONS, **(item.get("annotations") or {})}
    ann = {k: ann[k] for k in ANNOTATION_KEYS}
    if kind == "text":
        text = item.get("text") or {}
        link = text.get("link")
        url = link.get("url") if isinstance(link, dict) else None
        return {
            "type": "text",
            "text": {"content": text.get("content", ""), "link": {"url": url} if url else None},
            "annotations": ann,
        }
    if kind == "equation":
        return {"type": "equation", "equation": {"expression": item["equation"]["expression"]},
                "annotations": ann}
    mention = dict(item["mention"])
    mtype = mention.get("type")
    if mtype in ("page", "database", "data_source", "user"):
        ident = mention[mtype]["id"]
        mention = {"type": mtype, mtype: {"id": _dashed(ident) if mtype != "user" else ident}}
    elif mtype == "date":
        date = mention["date"]
        clean = {"start": date["start"], "end": date.get("end")}
        if date.get("time_zone"):
            clean["time_zone"] = date["time_zone"]
        mention = {"type": "date", "date": clean}
    return {"type": "mention", "mention": mention, "annotations": ann}


def _merge(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        prev = out[-1] if out else None
        if (
            prev is not None
            and item["type"] == "text"
            and prev["type"] == "text"
            and prev["annotations"] == item["annotations"]
            and prev["text"]["link"] == item["text"]["link"]
        ):
            merged = prev["text"]["content"] + item["text"]["content"]
            out[-1] = {**prev, "text": {**prev["text"], "content": merged}}
        elif item["type"] != "text" or item["text"]["content"]:
            out.append(item)
    return out


def canonical_richtext(rich_text: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A comparison form: response-only keys dropped, annotations filled, runs merged."""
    return _merge([_comparable(item) for item in rich_text])
