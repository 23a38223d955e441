"""A mirror file as bytes <-> (properties, ``_notion`` metadata, body).

The layout is ``---\\n`` + YAML frontmatter + ``---\\n`` + body (see
docs/file-format.md). :func:`render` is deterministic: same arguments, same
bytes, whatever libyaml is or isn't installed (the pure-Python emitter is
always used). :func:`parse` treats every file as hostile input and turns each
problem into a :class:`~notion_mirror.errors.FileInputError` with a line.

YAML dialect on input: PyYAML's YAML 1.1 safe types (``yes`` is true, ``0x1F``
is 31), except that timestamps stay strings (dates must survive byte for byte)
and ``=``/``<<`` are plain strings. Anchors/aliases, explicit tags other than
the core ones, duplicate keys and non-string keys are refused.

Warning: a UTF-8 BOM is tolerated and dropped, CRLF and lone CR line ends are
read as LF (:func:`normalize_text`); the next render writes the file back without
either.

Size: a file is capped in bytes (:data:`MAX_FILE_BYTES`), its frontmatter too
(:data:`MAX_FRONTMATTER_BYTES`, far above what any Notion page renders to) and in
YAML nodes (:data:`MAX_NODES`), counted on the parser's event stream before any
node is built, since building nodes is what costs time and memory (~12 µs and
~350 bytes each).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from notion_mirror.errors import FileInputError

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_FRONTMATTER_BYTES",
    "MAX_NODES",
    "NOTION_KEY",
    "DateValue",
    "Document",
    "Loader",
    "best_effort_text",
    "normalize_text",
    "parse",
    "render",
]

NOTION_KEY = "_notion"
# A page's properties can legitimately render to megabytes (100 runs of 2,000 emoji in
# one text property is 800 KB), and the tool must read back every file it writes.
MAX_FRONTMATTER_BYTES = 8 * 1024 * 1024
# A whole file: far above any page Notion serves (its writes stop at 500 KB), low
# enough that a pasted disk image is refused at once instead of parsed for minutes.
MAX_FILE_BYTES = 32 * 1024 * 1024
# Far more values than any page has (a property holds at most a few hundred); a
# flat list of 100,000 numbers takes ~1 s to read, so the cap bounds hostile files.
MAX_NODES = 100_000
# Deeper than any value the mirror writes (a date mapping inside computed inside
# _notion is 4); the cap keeps hostile nesting from costing recursion.
MAX_DEPTH = 32
_DELIM = "---"
_CLOSE = re.compile(r"^---[ \t]*$", re.MULTILINE)

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
_SCALAR_TAGS = frozenset({_STR, _TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null"})
# Timestamps would turn "2026-01-01T10:00:00.000Z" into a datetime and lose its spelling;
# merge (<<) needs aliases to be useful; "=" (value) has no safe constructor at all.
_DROPPED_RESOLVERS = frozenset({_TAG + "timestamp", _TAG + "merge", _TAG + "value"})


class DateValue(str):
    """A string that is a date: rendered as a plain YAML timestamp when it is one.

    Text that merely looks like a date is quoted instead, so tools reading the
    file with a standard YAML 1.1 parser see a date only where Notion has one.
    """

    __slots__ = ()


@dataclass(frozen=True)
class Document:
    """A parsed mirror file.

    ``properties`` keeps the file's key order and excludes ``_notion``;
    ``key_lines`` maps every top-level key (``_notion`` included) to its 1-based
    line in the file.
    """

    properties: dict[str, Any]
    notion: dict[str, Any]
    body: str
    key_lines: dict[str, int] = field(default_factory=dict)


# ----------------------------------------------------------------------------- render


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        # parse() refuses aliases, so a value shared twice is written out twice.
        return True


# Characters PyYAML's emitter folds or treats as line breaks outside double quotes.
_ODD_BREAKS = frozenset("\r\x85\u2028\u2029")


def _str_style(data: str) -> str | None:
    """Literal block for ordinary multi-line text, double quotes for anything tricky.

    A literal block can't end in a newline without keep-chomping (``|+``), which
    makes PyYAML close the document with ``...``; odd line breaks and trailing
    blanks don't survive other styles. Double quotes escape everything.
    """
    if _ODD_BREAKS.intersection(data):
        return '"'
    if "\n" not in data:
        return None  # the emitter quotes ambiguous scalars ("yes", "1.0", " x") itself
    lines = data.split("\n")
    if data[0] in " \t\n" or data.endswith("\n") or any(ln != ln.rstrip(" \t") for ln in lines):
        return '"'
    return "|"


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR, str(data), style=_str_style(data))


_TIMESTAMP_RX = next(
    rx for rxs in yaml.SafeDumper.yaml_implicit_resolvers.values() for tag, rx in rxs
    if tag == _TAG + "timestamp"
)


def _represent_date(dumper: yaml.SafeDumper, data: DateValue) -> yaml.ScalarNode:
    if _TIMESTAMP_RX.match(data):
        return dumper.represent_scalar(_TAG + "timestamp", str(data))
    return _represent_str(dumper, data)


def _represent_tuple(dumper: yaml.SafeDumper, data: tuple[Any, ...]) -> yaml.SequenceNode:
    return dumper.represent_list(list(data))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(DateValue, _represent_date)
_Dumper.add_representer(tuple, _represent_tuple)


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=sys.maxsize,  # never fold long lines: a wrapped title is a noisy diff
        indent=2,
        line_break="\n",
    )


def render(properties: Mapping[str, Any], notion: Mapping[str, Any], body: str) -> bytes:
    """The exact bytes of a mirror file.

    ``properties`` are written in the given order; ``notion`` becomes the
    ``_notion`` mapping (``id`` and ``url`` first, then the other keys in the
    given order; omitted when empty). Values may be ``None``, bool, int, float,
    str (:class:`DateValue` for dates), lists/tuples and string-keyed dicts.
    """
    if NOTION_KEY in properties:
        raise ValueError(f"a property named {NOTION_KEY!r} cannot be mirrored")
    data: dict[str, Any] = dict(properties)
    meta = {k: notion[k] for k in ("id", "url") if k in notion}
    meta.update((k, v) for k, v in notion.items() if k not in meta)
    if meta:
        data[NOTION_KEY] = meta
    front = _dump(data) if data else ""
    # The body's line ends as parse reads them: a CR never reaches the file.
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    text = f"{_DELIM}\n{front}{_DELIM}\n{body}"
    return text.encode("utf-8")


# ------------------------------------------------------------------------------ parse


def _make_loader(base: type) -> type:
    resolvers = {
        first: [(tag, rx) for tag, rx in entries if tag not in _DROPPED_RESOLVERS]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    return type("Loader", (base,), {"yaml_implicit_resolvers": resolvers})


# Same resolvers and checks either way; libyaml only makes scanning faster.
Loader: type = _make_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))
_PyLoader: type = _make_loader(yaml.SafeLoader)


def _line_of(data: bytes, offset: int) -> int:
    """1-based line of a byte offset, counting LF, CRLF and lone CR line ends."""
    lone_cr = data.count(b"\r", 0, offset) - data.count(b"\r\n", 0, offset)
    return data.count(b"\n", 0, offset) + lone_cr + 1


# Byte order marks of the encodings editors offer besides UTF-8 (UTF-32 first: its
# little-endian mark starts with UTF-16's), with the codec that reads each.
_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32", "utf-32"),
    (b"\x00\x00\xfe\xff", "UTF-32", "utf-32"),
    (b"\xff\xfe", "UTF-16", "utf-16"),
    (b"\xfe\xff", "UTF-16", "utf-16"),
)


def _wide_encoding(data: bytes) -> tuple[str, str] | None:
    """(name, codec) when ``data`` plainly is UTF-16/32 (a byte order mark, or ASCII
    text with every other byte NUL, as Windows "Unicode" saves it), else None."""
    for bom, name, codec in _OTHER_BOMS:
        if data.startswith(bom):
            return name, codec
    head = data[:64]
    if len(head) >= 8 and len(head) % 2 == 0:
        even, odd = head[0::2], head[1::2]
        if not even.strip(b"\0") and odd.isascii() and b"\0" not in odd:
            return "UTF-16", "utf-16-be"
        if not odd.strip(b"\0") and even.isascii() and b"\0" not in even:
            return "UTF-16", "utf-16-le"
    return None


def best_effort_text(data: bytes) -> str:
    """The text of a file :func:`parse` may refuse, to find what it plainly says (its
    ``_notion.id``, conflict markers): UTF-16/32 when it is that, else UTF-8 with bad
    bytes replaced, normalised as :func:`parse` reads text."""
    wide = _wide_encoding(data)
    text = data.decode(wide[1] if wide else "utf-8", errors="replace")
    return normalize_text(text)


def normalize_text(text: str) -> str:
    """Decoded file text as the parser reads it: no leading BOM, LF line ends only."""
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _decode(data: bytes, path: str) -> str:
    wide = _wide_encoding(data)
    if wide is not None:
        raise FileInputError(
            path, f"is encoded as {wide[0]}, not UTF-8; save it as UTF-8 (without converting "
            "anything else) and sync again", line=1,
        )
    nul = data.find(b"\0")
    if nul >= 0:
        raise FileInputError(
            path, f"contains a NUL byte (offset {nul}); mirror files are text",
            line=_line_of(data, nul),
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise FileInputError(
            path, f"is not valid UTF-8: byte 0x{bad} at offset {exc.start}; save the file "
            "as UTF-8", line=_line_of(data, exc.start),
        ) from None
    return normalize_text(text)


def _split(text: str, path: str) -> tuple[str, str]:
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if first.rstrip(" \t") != _DELIM:
        shown = repr(first[:40]) + ("..." if len(first) > 40 else "")
        raise FileInputError(
            path, f"does not start with a '---' line (it starts with {shown}); a mirror "
            "file begins with YAML frontmatter between two '---' lines", line=1,
        )
    start = first_end + 1 if first_end >= 0 else len(text)
    close = _CLOSE.search(text, start) if first_end >= 0 else None
    if close is None:
        raise FileInputError(
            path, "has no closing '---' line after the frontmatter opened on line 1", line=1
        )
    front = text[start : close.start()]
    if len(front) > MAX_FRONTMATTER_BYTES or len(front.encode("utf-8")) > MAX_FRONTMATTER_BYTES:
        raise FileInputError(
            path, f"frontmatter is larger than {MAX_FRONTMATTER_BYTES // (1024 * 1024)} MiB",
            line=2,
        )
    body = text[close.end() + 1 :] if close.end() < len(text) else ""
    return front, body


def _yaml_error(path: str, exc: yaml.YAMLError, front: str = "") -> FileInputError:
    if isinstance(exc, yaml.reader.ReaderError):
        # A character YAML refuses (a control character). libyaml reports a byte
        # offset, PyYAML a character offset: find the character itself instead.
        bad = yaml.reader.Reader.NON_PRINTABLE.search(front)
        line = front.count("\n", 0, bad.start()) + 2 if bad else None
        char = exc.character
        code = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        prop = _prop_at(front, line) if line is not None else None
        return FileInputError(
            path, f"invalid YAML frontmatter: the control character {code} is not allowed "
            "(remove it, or write it as an escape such as \"\\x07\" in a double-quoted "
            "string)", line=line, prop=prop,
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    what = f"{context}: {problem}" if context else problem
    line = None if mark is None else mark.line + 2  # +1 for 1-based, +1 for the '---' line
    # An unclosed flow collection or quoted string fails far from where it opened;
    # the property is the one whose value opened it.
    opened = getattr(exc, "context_mark", None)
    where = line
    if opened is not None and context and context.startswith(_OPENED_CONTEXTS):
        where = opened.line + 2
    if opened is not None and context == "while scanning a simple key":
        line = where = opened.line + 2  # a line with no ':' is the culprit, not the next
    prop = _prop_at(front, where) if front and where is not None else None
    return FileInputError(path, f"invalid YAML frontmatter: {what}", line=line, prop=prop)


_OPENED_CONTEXTS = ("while parsing a flow", "while scanning a quoted", "while scanning a block")
# A top-level key line as notion-mirror writes them: ``Name:``, ``'a: b':``, ``"x":``.
_KEY_LINE = re.compile(
    r"""(?:'((?:[^']|'')*)'|"((?:[^"\\]|\\.)*)"|([^\s#'"?\-][^:]*?))[ \t]*:(?:[ \t]|$)"""
)


def _prop_at(front: str, line: int) -> str | None:
    """The top-level key whose entry holds ``line`` (1-based in the file), if plain.

    Block style only, as notion-mirror writes files: the nearest line at column 0
    at or above ``line`` that is not a list item; None when that is not a key line.
    """
    lines = front.split("\n")
    index = min(line - 2, len(lines) - 1)
    while index >= 0:
        text = lines[index]
        if text and text[0] not in " \t#-":
            m = _KEY_LINE.match(text)
            if m is None:
                return None
            single, double, plain = m.groups()
            if single is not None:
                return single.replace("''", "'")
            if double is not None:
                return None if "\\" in double else double
            return plain
        index -= 1
    return None


def _describe_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def _check_tree(root: MappingNode, path: str) -> dict[str, int]:
    """Refuse aliases, odd tags, bad keys and deep nesting; return top-level key lines.

    Iterative, and every node is visited once: an alias makes the composer hand
    back a node it has already given us, which is how aliases are spotted
    before anything is constructed (so an alias bomb costs nothing).
    """
    key_lines: dict[str, int] = {}
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        line = node.start_mark.line + 2
        if id(node) in seen:
            raise FileInputError(path, "YAML anchors and aliases (&, *) are not allowed", line=line)
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise FileInputError(path, f"values are nested deeper than {MAX_DEPTH} levels",
                                 line=line)
        if isinstance(node, ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise FileInputError(path, f"YAML tag {_describe_tag(node.tag)} is not allowed",
                                     line=line)
        elif isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                raise FileInputError(path, f"YAML tag {_describe_tag(node.tag)} is not allowed",
                                     line=line)
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, MappingNode):
            if node.tag != _MAP:
                raise FileInputError(path, f"YAML tag {_describe_tag(node.tag)} is not allowed",
                                     line=line)
            keys: dict[str, int] = {}
            for key, value in node.value:
                kline = key.start_mark.line + 2
                if not isinstance(key, ScalarNode) or key.tag != _STR:
                    shown = key.value if isinstance(key, ScalarNode) else "a list or mapping"
                    raise FileInputError(
                        path, f"keys must be strings, found {shown!s}; quote the key "
                        "(e.g. \"yes\": ...)", line=kline,
                    )
                if key.value in keys:
                    raise FileInputError(
                        path, f"duplicate key {key.value!r} (first on line {keys[key.value]})",
                        line=kline, prop=key.value if node is root else None,
                    )
                keys[key.value] = kline
                stack.append((value, depth + 1))
            if node is root:
                key_lines = keys
    return key_lines


def _new_loader(loader_cls: type, front: str, path: str) -> Any:
    # The pure-Python reader checks the characters when it is created.
    try:
        return loader_cls(front)
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc, front) from None


def _named(err: FileInputError, front: str) -> FileInputError:
    """``err`` with the property whose entry holds its line, when it had none."""
    if err.prop is not None or err.line is None:
        return err
    prop = _prop_at(front, err.line)
    return err if prop is None else FileInputError(err.path, err.reason, line=err.line, prop=prop)


def _precheck(front: str, path: str, loader_cls: type) -> None:
    """Walk the parser's events (nothing is built) and refuse, before composing,
    frontmatter with too many values, too deep nesting, or aliases."""
    loader = _new_loader(loader_cls, front, path)
    try:
        count = depth = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise FileInputError(path, "YAML anchors and aliases (&, *) are not allowed",
                                     line=event.start_mark.line + 2)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise FileInputError(
                        path, f"values are nested deeper than {MAX_DEPTH} levels",
                        line=event.start_mark.line + 2,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.NodeEvent):
                count += 1
                if count > MAX_NODES:
                    raise FileInputError(
                        path, f"frontmatter holds more than {MAX_NODES:,} values; no page has "
                        "that many", line=event.start_mark.line + 2,
                    )
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc, front) from None
    finally:
        loader.dispose()


def _compose(front: str, path: str, loader_cls: type) -> tuple[dict[str, Any], dict[str, int]]:
    _precheck(front, path, loader_cls)
    loader = _new_loader(loader_cls, front, path)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise _yaml_error(path, exc, front) from None
        except RecursionError:
            raise FileInputError(path, "frontmatter is nested too deeply") from None
        if node is None:
            return {}, {}
        if not isinstance(node, MappingNode) or node.tag != _MAP:
            kind = "a list" if isinstance(node, SequenceNode) else "a single value"
            raise FileInputError(
                path, f"frontmatter must be a mapping of property names to values, found {kind}",
                line=node.start_mark.line + 2,
            )
        key_lines = _check_tree(node, path)
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise _yaml_error(path, exc, front) from None
        return data, key_lines
    finally:
        loader.dispose()


def parse(data: bytes, *, path: str, loader: type | None = None) -> Document:
    """Parse a mirror file; every problem is a :class:`FileInputError` for ``path``.

    ``loader`` is for tests that compare the libyaml and pure-Python paths.
    """
    if len(data) > MAX_FILE_BYTES:
        raise FileInputError(
            path, f"is {len(data) // (1024 * 1024)} MiB; a mirror file holds at most "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MiB (Notion takes at most 500 KB per write)",
            line=1,
        )  # fmt: skip
    text = _decode(bytes(data), path)
    front, body = _split(text, path)
    try:
        mapping, key_lines = _compose(front, path, loader or Loader)
    except FileInputError as err:
        raise _named(err, front) from None
    notion = mapping.pop(NOTION_KEY, {})
    if not isinstance(notion, dict):
        raise FileInputError(
            path, f"{NOTION_KEY} must be a mapping (id, url, ...)", line=key_lines.get(NOTION_KEY),
            prop=NOTION_KEY,
        )
    return Document(properties=mapping, notion=notion, body=body, key_lines=key_lines)
