"""Mutants of valid payloads: what a broken, hostile or careless sender can put in a body.

Each mutant names the mutations that made it (``dates(9999-12-31T23:59:59Z)+inject_one``), so a
finding says what to try. Every address injected is unique (``fuzz-<n>@leak.example``) and every
phone number is in a range the scan recognises (+33 7 99 ..), so a leak found anywhere points
back to an injection, never to the seed data. Structural changes work on the parsed payload;
what JSON cannot express in Python (nesting past the recursion limit, duplicated keys, integers
past the parser's digit limit) is spliced into the text through sentinels.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

EMAIL_DOMAIN = "leak.example"
LONG_SIZES = (5_000, 30_000)
"""Long strings in-process: past ~30k characters a reason that quotes one is redacted in time
quadratic in its length (minutes per payload), which would stall the run, not find more."""
HTTP_LONG_SIZES = (5_000, 30_000, 1_200_000)
"""Over HTTP a body past the receiver's 1 MiB limit must be refused with 413 before any parsing."""


@dataclass(frozen=True)
class Mutant:
    """One body to send, as bytes exactly, with how it was made."""

    source: str
    mutation: str
    body: bytes


class Marks:
    """Numbers injected addresses (unique per run) and phone numbers (in the +33 7 99 range)."""

    def __init__(self) -> None:
        self.count = 0

    def email(self, rng: random.Random) -> str:
        self.count += 1
        local = f"fuzz-{self.count}"
        form = rng.random()
        if form < 0.55:
            return f"{local}@{EMAIL_DOMAIN}"
        return rng.choice(
            (
                f"{local.upper()}@{EMAIL_DOMAIN.upper()}",
                f'"Fuzz {self.count}" <{local}@{EMAIL_DOMAIN}>',
                f"mailto:{local}@{EMAIL_DOMAIN}",
                f"{local}+tag@{EMAIL_DOMAIN}",
                f"  {local}@{EMAIL_DOMAIN}  ",
                f"{local}\uff20{EMAIL_DOMAIN}",
            )
        )

    def phone(self, rng: random.Random) -> str:
        self.count += 1
        d = f"{self.count % 1_000_000:06d}"
        pairs = f"{d[:2]} {d[2:4]} {d[4:]}"
        return rng.choice(
            (
                f"+33 7 99 {pairs}",
                f"+33799{d}",
                f"0033 7 99 {pairs}",
                f"07 99 {pairs}",
                f"07.99.{d[:2]}.{d[2:4]}.{d[4:]}",
                f"0799{d}",
                f"+33 (0)7 99 {pairs}",
                f"tel:+33799{d}",
            )
        )

    def any(self, rng: random.Random) -> str:
        return self.email(rng) if rng.random() < 0.65 else self.phone(rng)


@dataclass
class _Work:
    """A mutant in the making: the parsed document, text splices, and the labels so far."""

    rng: random.Random
    marks: Marks
    doc: Any
    labels: list[str] = field(default_factory=list)
    splices: dict[str, str] = field(default_factory=dict)
    ascii_only: bool = False
    long_sizes: Sequence[int] = LONG_SIZES

    def sentinel(self, raw_json: str) -> str:
        token = f"{SPLICE_PREFIX}{len(self.splices)}__"
        self.splices[token] = raw_json
        return token


# --- walking the document --------------------------------------------------------------------


def _slots(root: list[Any]) -> list[tuple[Any, Any]]:
    """Every (container, key) below ``root`` (a one-item box around the document)."""
    slots: list[tuple[Any, Any]] = [(root, 0)]
    stack = [root[0]]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            slots.append((node, key))
            if isinstance(child, dict | list):
                stack.append(child)
    return slots


def _pick(work: _Work, keep: Callable[[Any, Any], bool] = lambda _c, _k: True) -> tuple[Any, Any]:
    box = [work.doc]
    slots = [s for s in _slots(box)[1:] if keep(*s)] or _slots(box)[:1]
    return work.rng.choice(slots)


def _set(work: _Work, container: Any, key: Any, value: Any) -> None:
    """Replaces one slot; the root's box is a fresh list, so the root is replaced on ``work``."""
    if isinstance(container, list) and len(container) == 1 and container[0] is work.doc and key == 0:
        work.doc = value
    else:
        container[key] = value


SPLICE_PREFIX = "__fuzz_splice_"


def _strings(container: Any, key: Any) -> bool:
    value = container[key]
    return isinstance(value, str) and not value.startswith(SPLICE_PREFIX)


def _numbers(container: Any, key: Any) -> bool:
    value = container[key]
    return isinstance(value, int | float) and not isinstance(value, bool)


TIME_WORDS = ("date", "time", "_at", "ts", "occurred", "stamp", "when")


def _time_like(container: Any, key: Any) -> bool:
    return isinstance(key, str) and any(word in key.lower() for word in TIME_WORDS)


def random_json(rng: random.Random, marks: Marks, depth: int = 0) -> Any:
    """A small arbitrary JSON value (some strings carry an injected address)."""
    kind = rng.randrange(8 if depth < 3 else 6)
    scalars: list[Callable[[], Any]] = [
        lambda: None,
        lambda: rng.random() < 0.5,
        lambda: rng.randint(-(2**70), 2**70),
        lambda: rng.uniform(-1e12, 1e12),
        lambda: "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(0, 12))),
        lambda: marks.any(rng),
    ]
    if kind < 6:
        return scalars[kind]()
    if kind == 6:
        return [random_json(rng, marks, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{rng.randint(0, 99)}": random_json(rng, marks, depth + 1) for _ in range(rng.randint(0, 4))}


# --- structural mutations ------------------------------------------------------------------


def delete_field(work: _Work) -> str:
    for _ in range(work.rng.randint(1, 3)):
        container, key = _pick(work, lambda c, _k: isinstance(c, dict))
        if isinstance(container, dict):
            del container[key]
    return "delete_field"


def _swapped(rng: random.Random, value: Any) -> Any:
    if isinstance(value, str):
        return rng.choice((len(value), [value], {"value": value}, None, True, 0.5))
    if isinstance(value, bool) or value is None:
        return rng.choice(("true", 1, [], {}, "null"))
    if isinstance(value, int | float):
        return rng.choice((str(value), [value], {"value": value}, float(value), None, False))
    if isinstance(value, list):
        return rng.choice((value[0] if value else None, {"0": value}, json.dumps(value), len(value)))
    return rng.choice((list(value.values()), json.dumps(value), list(value), None, ""))


def type_swap(work: _Work) -> str:
    container, key = _pick(work)
    _set(work, container, key, _swapped(work.rng, container[key]))
    return "type_swap"


# One value of each JSON type, with what it is called in a mutant's label.
_OF_TYPE: tuple[tuple[str, Callable[[random.Random], Any]], ...] = (
    ("number", lambda rng: rng.choice((0, 1, -7, 2.5, 10**20))),
    ("bool", lambda rng: rng.random() < 0.5),
    ("string", lambda rng: rng.choice(("", "x", "[]", "{}", "null", "true", "0"))),
    ("list", lambda rng: rng.choice(([], [1], ["x"], [None], [[]], [{}]))),
    ("object", lambda rng: rng.choice(({}, {"x": 1}, {"value": "x"}, {"0": []}))),
    ("null", lambda _rng: None),
)


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object" if isinstance(value, dict) else "null"


def other_type(work: _Work) -> str:
    """A value below the top level (a nested object's field, a list's item, a nested list or
    object itself) replaced by one of another JSON type: an adapter that reads ``subject.links``
    as a list must refuse a number there with a reason, not raise a TypeError."""
    container, key = _pick(work, lambda c, _k: c is not work.doc or isinstance(c[_k], dict | list))
    current = _type_of(container[key])
    name, make = work.rng.choice([kind for kind in _OF_TYPE if kind[0] != current])
    _set(work, container, key, make(work.rng))
    return f"other_type({current}->{name})"


def every_other_type(doc: Any) -> Iterator[tuple[str, Any]]:
    """Every value of ``doc`` below the top level replaced, one at a time, by one of each other
    JSON type: (label, mutant document). The exhaustive form of :func:`other_type`, for tests."""
    rng = random.Random(0)
    box = [doc]
    for index, (container, key) in enumerate(_slots(box)[1:]):
        if container is doc and not isinstance(container[key], dict | list):
            continue
        current = _type_of(container[key])
        for name, make in _OF_TYPE:
            if name == current:
                continue
            copy = [json.loads(json.dumps(doc))]
            target_container, target_key = _slots(copy)[index + 1]
            target_container[target_key] = make(rng)
            yield f"other_type({key}:{current}->{name})", copy[0]


def random_value(work: _Work) -> str:
    if work.rng.random() < 0.1:
        work.doc = random_json(work.rng, work.marks)
        return "random_json(root)"
    container, key = _pick(work)
    _set(work, container, key, random_json(work.rng, work.marks))
    return "random_json"


NUMBERS: tuple[Any, ...] = (
    0,
    -1,
    -(2**31),
    2**31,
    2**53 + 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    1e308,
    -1e308,
    5e-324,
    0.5,
    -0.0,
    1.5e12,
    253402300799999,
    -62135596800000,
    "0",
    "-1",
    "007",
    "1e5",
    "9" * 40,
    " 12 ",
    "0x1F",
    "١٢٣",
    "1_000",
    "+5",
)


def numbers(work: _Work) -> str:
    container, key = _pick(work, _numbers)
    value = work.rng.choice(NUMBERS)
    _set(work, container, key, value)
    return f"numbers({value!r})"


PLACEHOLDER_DATES: tuple[Any, ...] = (
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-12:00",
    "1970-01-01T00:00:00Z",
    "1970-01-01",
    "0000-00-00 00:00:00",
    "2026-02-30T10:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-03-06T25:61:00Z",
    "2026-03-06T10:00:00",
    "2026-03-06T10:00:00+24:00",
    "9999-12-31 23:59:59",
    "0001-01-01 00:00:00",
    "now",
    "",
    "2099-12-31T23:59:59.999999-23:59",
    "1999-12-31T23:59:59.999999Z",
    "2100-01-01T00:00:00+00:00",
    0,
    -1,
    1,
    253402300799,
    253402300799999,
    -62135596800,
    4102444800000,
    946684799999,
)


def dates(work: _Work) -> str:
    container, key = _pick(work, _time_like)
    if not _time_like(container, key):
        container, key = _pick(work, lambda c, k: _strings(c, k) or _numbers(c, k))
    value = work.rng.choice(PLACEHOLDER_DATES)
    _set(work, container, key, value)
    return f"dates({value!r})"


def deep_nesting(work: _Work) -> str:
    depth = work.rng.choice((50, 500, 990, 1100, 5000, 100_000))
    arrays = work.rng.random() < 0.5
    raw = "[" * depth + "1" + "]" * depth if arrays else '{"a":' * depth + "1" + "}" * depth
    container, key = _pick(work)
    _set(work, container, key, work.sentinel(raw))
    return f"deep_nesting({'arrays' if arrays else 'objects'},{depth})"


def long_string(work: _Work) -> str:
    size = work.rng.choice(work.long_sizes)
    filler = work.rng.choice(("x", "é", "\U0001f600", " "))
    text = filler * (size // 2) + work.marks.any(work.rng) + filler * (size // 2)
    container, key = _pick(work, _strings)
    _set(work, container, key, text)
    return f"long_string({size})"


def long_integer(work: _Work) -> str:
    digits = work.rng.choice((400, 4_000, 4_300, 5_000, 100_000))
    container, key = _pick(work, lambda c, k: _numbers(c, k) or _time_like(c, k))
    _set(work, container, key, work.sentinel(work.rng.choice(("", "-")) + "9" * digits))
    return f"long_integer({digits})"


def nan_infinity(work: _Work) -> str:
    value = work.rng.choice((float("nan"), float("inf"), float("-inf")))
    container, key = _pick(work, _numbers)
    _set(work, container, key, value)
    return f"nan_infinity({value})"


def lone_surrogate(work: _Work) -> str:
    container, key = _pick(work, _strings)
    value = container[key] if isinstance(container[key], str) else ""
    _set(work, container, key, value + work.rng.choice(("\ud800", "\udfff", "\ud83d")))
    work.ascii_only = True
    return "lone_surrogate"


def duplicate_keys(work: _Work) -> str:
    container, key = _pick(work, lambda c, _k: isinstance(c, dict))
    if not isinstance(container, dict):
        return "duplicate_keys(none)"
    value = work.marks.any(work.rng) if work.rng.random() < 0.7 else random_json(work.rng, work.marks)
    token = work.sentinel(json.dumps(key))
    items = list(container.items())
    position = work.rng.choice((0, len(items)))  # duplicate first (overridden) or last (wins)
    items.insert(position, (token, value))
    container.clear()
    container.update(items)
    return f"duplicate_keys({'first' if position == 0 else 'last'})"


# --- injection ---------------------------------------------------------------------------

EXTRA_KEYS = ("email", "Email", "phone", "mobile", "contact", "note", "fuzz_extra")


def _inject(work: _Work, text: str) -> str:
    rng, mark = work.rng, work.marks.any(work.rng)
    return rng.choice((mark, mark, f"{text} {mark}", f"{mark} {text}", f"{text}<{mark}>"))


def inject_everywhere(work: _Work) -> str:
    """Every string value gets an address or a phone number, and every object an extra field."""
    box = [work.doc]
    for container, key in _slots(box):
        value = container[key]
        if _strings(container, key):
            container[key] = _inject(work, value)
        elif isinstance(value, dict):
            value[work.rng.choice(EXTRA_KEYS)] = work.marks.any(work.rng)
    work.doc = box[0]
    return "inject_everywhere"


def inject_one(work: _Work) -> str:
    container, key = _pick(work, _strings)
    _set(work, container, key, work.marks.any(work.rng))
    return "inject_one"


def inject_keys(work: _Work) -> str:
    """Addresses as field names: reasons that name an unknown field would quote them."""
    container, _key = _pick(work, lambda c, _k: isinstance(c, dict))
    target = container if isinstance(container, dict) else work.doc
    if isinstance(target, dict):
        target[work.marks.any(work.rng)] = work.rng.choice(("x", 1, None))
    return "inject_keys"


STRUCTURAL: tuple[tuple[Callable[[_Work], str], float], ...] = (
    (inject_everywhere, 3),
    (inject_one, 3),
    (inject_keys, 1),
    (delete_field, 2),
    (type_swap, 2),
    (other_type, 2.5),
    (random_value, 1.5),
    (numbers, 2),
    (dates, 2.5),
    (deep_nesting, 0.7),
    (long_string, 0.6),
    (long_integer, 0.5),
    (nan_infinity, 0.4),
    (lone_surrogate, 0.5),
    (duplicate_keys, 1),
)


# --- bytes ---------------------------------------------------------------------------------

BAD_UTF8 = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82", b"\x80", b"\xf8\x88\x80\x80\x80")


def invalid_utf8(rng: random.Random, body: bytes) -> tuple[str, bytes]:
    if rng.random() < 0.2:
        return "invalid_utf8(latin-1)", body.decode("utf-8", "replace").encode("latin-1", "replace")
    quotes = [i for i, b in enumerate(body) if b == 0x22] or [0]
    at = rng.choice(quotes) + 1
    bad = rng.choice(BAD_UTF8)
    return f"invalid_utf8({bad.hex()})", body[:at] + bad + body[at:]


def non_json(rng: random.Random, body: bytes, marks: Marks) -> tuple[str, bytes]:
    """A body that is not one JSON document, in the ways senders get it wrong."""
    mark = marks.any(rng).encode("utf-8")
    cut = rng.randint(0, max(0, len(body) - 1))
    variants: dict[str, Callable[[], bytes]] = {
        "empty": lambda: b"",
        "blank": lambda: b" \n\t",
        "null": lambda: b"null",
        "NaN": lambda: b"NaN",
        "Infinity": lambda: b"-Infinity",
        "form": lambda: b"event=delivered&email=" + mark.replace(b"@", b"%40"),
        "truncated": lambda: body[:cut],
        "bom": lambda: b"\xef\xbb\xbf" + body,
        "trailing": lambda: body + b" garbage " + mark,
        "two_documents": lambda: body + body,
        "json_lines": lambda: body + b"\n" + body + b"\n",
        "random_bytes": lambda: rng.randbytes(rng.randint(1, 300)),
        "xml": lambda: b"<?xml version='1.0'?><contact><email>" + mark + b"</email></contact>",
        "base64": lambda: base64.b64encode(body),
        "utf16": lambda: body.decode("utf-8", "replace").encode("utf-16"),
        "string": lambda: json.dumps(mark.decode()).encode(),
    }
    name = rng.choice(sorted(variants))
    return f"non_json({name})", variants[name]()


# --- making mutants ------------------------------------------------------------------------


def _dump(work: _Work) -> bytes:
    text = json.dumps(work.doc, ensure_ascii=work.ascii_only or work.rng.random() < 0.3, allow_nan=True)
    for token, raw in work.splices.items():
        text = text.replace(json.dumps(token), raw, 1)
    return text.encode("utf-8", "surrogatepass")


def mutate(
    rng: random.Random, marks: Marks, source: str, seed: Any, long_sizes: Sequence[int] = LONG_SIZES
) -> Mutant:
    """One mutant of ``seed`` (left untouched): one to three mutations, sometimes byte-level."""
    body_only = rng.random()
    if body_only < 0.04:
        label, body = non_json(rng, json.dumps(seed).encode(), marks)
        return Mutant(source, label, body)
    work = _Work(rng, marks, json.loads(json.dumps(seed)), long_sizes=long_sizes)
    functions, weights = zip(*STRUCTURAL, strict=True)
    for chosen in rng.choices(functions, weights, k=rng.choices((1, 2, 3), (55, 30, 15))[0]):
        work.labels.append(chosen(work))
    body = _dump(work)
    if body_only > 0.97:
        label, body = invalid_utf8(rng, body)
        work.labels.append(label)
    return Mutant(source, "+".join(work.labels), body)


def mutants(
    source: str,
    seeds: list[Any],
    count: int,
    seed: int = 0,
    marks: Marks | None = None,
    long_sizes: list[int] | None = None,
) -> Iterator[Mutant]:
    """``count`` mutants of ``source``'s seeds, the same ones for the same ``seed``.

    ``long_sizes`` is read at each mutant, so the caller may narrow it mid-run (after a slow one).
    """
    rng = random.Random(f"{seed}:{source}")
    marks = marks or Marks()
    sizes = long_sizes if long_sizes is not None else list(LONG_SIZES)
    for _ in range(count):
        yield mutate(rng, marks, source, rng.choice(seeds), sizes)
