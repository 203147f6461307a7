"""Checks on text that comes from outside: how deeply JSON nests, and which characters a
value may hold.

Request bodies (`accord.api.bodies`), console forms and imported files pass through these
before anything parses or stores them: JSON nested deeper than `MAX_DEPTH` is refused without
recursion, and control characters (but those a field allows) and lone surrogates are refused
naming the field (`items[0].sku`).
"""

from __future__ import annotations

import re
from functools import cache
from itertools import accumulate

from accord.errors import InvalidInput, Text

#: The deepest nesting of arrays and objects a JSON body may have.
MAX_DEPTH = 32

#: Control characters allowed in a conversion's fields (identifiers, one line each).
STRICT = "\t"
#: Control characters allowed in free text (a note, terms typed in a text area).
TEXT = "\t\n\r"


# Nesting ------------------------------------------------------------------------------------

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTAS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def check_depth(raw: bytes | str, limit: int = MAX_DEPTH, field: str = "body") -> None:
    """Refuse JSON text nested deeper than `limit`, without parsing it (no recursion).

    Strings are set aside first, so brackets inside them do not count; brackets of either
    kind count alike (mismatched ones make the text invalid JSON anyway).
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    deltas = _STRING.sub(b"", raw).translate(_DELTAS, _NOT_BRACKETS)
    if deltas and max(accumulate(memoryview(deltas).cast("b"))) > limit:
        raise InvalidInput(
            field,
            Text("is nested deeper than %(limit)s levels of arrays and objects", limit=limit),
        )


# Text ---------------------------------------------------------------------------------------


@cache
def refused_characters(allow: str) -> re.Pattern[str]:
    """A pattern that finds the first character text may not hold: a control character not
    in `allow`, or a lone surrogate."""
    controls = "".join(chr(c) for c in range(32) if chr(c) not in allow)
    return re.compile("[" + re.escape(controls) + "\ud800-\udfff]")


def why_refused(found: str, *, in_name: bool = False) -> Text:
    """Why the character `refused_characters` found is refused, as an error's message (of a
    field's name when `in_name`)."""
    code = ord(found)
    if 0xD800 <= code <= 0xDFFF:
        char = f"U+{code:04X}"
        if in_name:
            return Text(
                "has a field name that is not valid Unicode text (a lone surrogate %(char)s)",
                char=char,
            )
        return Text("is not valid Unicode text (a lone surrogate %(char)s)", char=char)
    char = f"U+{code:04X}" + (" (NUL)" if code == 0 else "")
    if in_name:
        return Text(
            "has a field name that contains the control character %(char)s; remove it", char=char
        )
    return Text("contains the control character %(char)s; remove it", char=char)


def check_text(value: object, allow: str = STRICT, root: str = "") -> None:
    """Refuse control characters (but those in `allow`) and lone surrogates in any string,
    or field name, of decoded data; the error names the field (`items[0].sku`)."""
    pattern = refused_characters(allow)
    stack: list[tuple[str, object]] = [(root, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = pattern.search(item)
            if found:
                raise InvalidInput(path or "body", why_refused(found.group()))
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                name = str(key)
                found = pattern.search(name)
                if found:
                    raise InvalidInput(path or "body", why_refused(found.group(), in_name=True))
                children.append((f"{path}.{name}" if path else name, child))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(f"{path}[{i}]", c) for i, c in enumerate(item)]))


# A person's words ---------------------------------------------------------------------------
def free_text(
    field: str, value: str | None, max_length: int, *, required: bool = True
) -> str | None:
    """A reason or a note someone typed: trimmed; refused when longer than `max_length`, or
    blank when `required` (blank and not required: None)."""
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(field, "is required")
        return None
    if len(text) > max_length:
        raise InvalidInput(
            field,
            Text(
                "is %(length)s characters; at most %(most)s are allowed",
                length=len(text),
                most=max_length,
            ),
        )
    return text
