"""Dotted paths into a scenario: ``scoring.association.alpha``, ``behaviours.jaywalking.rate``
(a list item by name) or ``behaviours[3].rate`` (by position)."""

from __future__ import annotations

import re
from typing import Any

from scsim.errors import ScenarioError

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> tuple:
    """Split a dotted path into keys (str) and list positions (int)."""
    tokens: list[str | int] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        if text[pos] == ".":
            if not tokens or pos + 1 == len(text) or text[pos + 1] == ".":
                raise ScenarioError(f"{path}: a name missing between dots (use a.b.c or "
                                    "a[3].b)")  # ('scoring..alpha' read as scoring.alpha)
            pos += 1
            continue
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ScenarioError(f"{path}: not a valid path (use a.b.c or a[3].b)")
        key, index = m.groups()
        tokens.append(int(index) if index is not None else (int(key) if key.isdigit() else key))
        pos = m.end()
    if not tokens:
        raise ScenarioError(f"'{path}': empty path")
    return tuple(tokens)


def format_path(loc: tuple) -> str:
    """The inverse of parse_path: ('behaviours', 3, 'rate') -> 'behaviours[3].rate'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _child(node: Any, key: str | int, path: tuple, create: bool) -> Any:
    if isinstance(node, list):
        if isinstance(key, int):
            if not 0 <= key < len(node):
                raise ScenarioError(f"{format_path(path)}: no item [{key}] (there are "
                                    f"{len(node)})")
            return node[key]
        for item in node:
            if isinstance(item, dict) and item.get("name") == key:
                return item
        names = [str(i.get("name")) for i in node if isinstance(i, dict)]
        raise ScenarioError(f"{format_path(path)}: no item named '{key}' (known: "
                            f"{', '.join(names) or 'none'})")
    if isinstance(node, dict):
        if key not in node or node[key] is None:
            if not create:
                raise ScenarioError(f"{format_path((*path, key))}: not set")
            node[key] = {}
        return node[key]
    raise ScenarioError(f"{format_path(path)}: is a value, not a section")


def get_path(data: dict, path: tuple) -> Any:
    """The value at ``path`` (list items by name or position); ScenarioError if absent."""
    node: Any = data
    for depth, key in enumerate(path):
        node = _child(node, key, path[:depth], create=False)
    return node


def set_path(data: dict, path: tuple, value: Any) -> None:
    """Set ``value`` at ``path`` in nested dicts and named lists, creating sections. A
    mapping set on a section is merged into it (``_merged``): ``listing: {enabled: true}``
    switches listing on and keeps its threshold, as ``listing.enabled: true`` does (it
    replaced the section, whose other keys fell back to their defaults: nobody listed)."""
    node: Any = data
    for depth, key in enumerate(path[:-1]):
        item = path[depth + 1]
        if isinstance(item, int) and isinstance(node, dict) and node.get(key) is None:
            # a list not given is empty: it has no item to set (it was made a section,
            # and refused as "must be a list")
            raise ScenarioError(f"{format_path(path[:depth + 1])}: no item [{item}] (there "
                                "are none)")
        node = _child(node, key, path[:depth], create=True)
    last = path[-1]
    if isinstance(node, list):
        if isinstance(last, int) and 0 <= last < len(node):
            node[last] = value
            return
        raise ScenarioError(f"{format_path(path)}: cannot replace a list item by name; set one "
                            "of its fields")
    if not isinstance(node, dict):
        raise ScenarioError(f"{format_path(path[:-1])}: is a value, not a section")
    node[last] = _merged(node.get(last), value)


def _merged(old: Any, new: Any) -> Any:
    """``new`` set where ``old`` was: a non-empty mapping on a mapping is merged into a copy
    of it, key by key and as deep as both are mappings; anything else (a value, a list, an
    empty mapping that clears one) replaces it."""
    if not (isinstance(old, dict) and isinstance(new, dict) and new):
        return new
    out = dict(old)
    for key, value in new.items():
        out[key] = _merged(out.get(key), value)
    return out


def canonical(data: Any, loc: tuple) -> tuple:
    """Replace list positions in ``loc`` by item names where items have one, so a location
    survives merging lists by name. An item that repeats an earlier item's name keeps its
    position (the name is the earlier item's)."""
    out: list = []
    node = data
    for key in loc:
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            item = node[key]
            name = item.get("name") if isinstance(item, dict) else None
            out.append(key if name is None or name in _names(node[:key]) else name)
            node = item
        elif isinstance(node, dict) and key in node:
            out.append(key)
            node = node[key]
        else:
            out.append(key)
            node = None
    return tuple(out)


def _names(items: list) -> list:
    return [item.get("name") for item in items if isinstance(item, dict)]


def repeated_names(data: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """(location, name) of every list item under ``data`` that repeats the name of an
    earlier item of its list, in document order."""
    out: list[tuple[tuple, Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            out += repeated_names(value, (*path, key))
    elif isinstance(data, list):
        for k, item in enumerate(data):
            name = item.get("name") if isinstance(item, dict) else None
            if name is not None and name in _names(data[:k]):
                out.append(((*path, k), name))
            out += repeated_names(item, (*path, k))
    return out
