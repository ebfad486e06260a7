"""Reading scenarios: built-in names or YAML files, ``base:`` inheritance, ``--set``
overrides, and validation errors that name the field, the file and the line."""

from __future__ import annotations

import copy
import difflib
import functools
import math
import re
import typing
import unicodedata
import warnings
from contextlib import suppress
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scsim.errors import ScenarioError, ScenarioNotFound, ScenarioWarning, ScsimError
from scsim.scenario.advice import inert_settings, mapping_paths
from scsim.scenario.paths import canonical, format_path, parse_path, repeated_names, set_path
from scsim.scenario.reference import timeline_in_words
from scsim.scenario.schema import Scenario, consistency_problems, section_model

# Sections a timeline may not change: they define the population, its network and the
# shape of the outputs, which are fixed when a run starts.
_FIXED_IN_TIMELINE = {
    ("name",), ("description",), ("source",), ("days",), ("warmup_days",), ("population",),
    ("network",), ("listing", "initial_share"),
    ("regions", "count"), ("regions", "weights"), ("timeline",), ("metrics",),
    ("companies", "per_1000_agents"), ("companies", "size_sigma"), ("companies", "sectors"),
    ("companies", "revenue"),
}


def _fixed_in_timeline(path: tuple) -> bool:
    """Whether the setting at ``path`` is fixed when the run starts (``_FIXED_IN_TIMELINE``).
    A group's starting score (``population.groups.NAME.s0``) is not: past day 0 it is the
    target that recovery pulls the group's scores toward, as ``scoring.s0`` is for groups
    without their own (the scores the run started with stay those of day 0)."""
    if len(path) == 4 and path[:2] == ("population", "groups") and path[3] == "s0":
        return False
    return any(path[: len(f)] == f for f in _FIXED_IN_TIMELINE)


@dataclass
class Document:
    """A parsed YAML document with the line of every key (canonical paths), and the keys
    set afterwards by an option (``--days 0``, an override), which problems name instead
    of a line. ``merged``: a base was merged in, so that positions in its named lists
    (behaviours, groups, tiers...) are not the file's: problems name those items by name."""

    data: dict
    lines: dict[tuple, int]
    source: str
    options: dict[tuple, str] = field(default_factory=dict)
    merged: bool = False
    # The file's positions of the timeline steps kept when a shorter run dropped some
    # (``load_scenario``): problems name a step by its place in the file; None: all kept.
    timeline_kept: list[int] | None = None
    # 'file:line' of the keys a base file wrote (canonical paths; not a built-in's, which
    # its user did not write), for a problem at a key this file does not set.
    inherited: dict[tuple, str] = field(default_factory=dict)


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, in the order they are listed."""
    folder = resources.files("scsim") / "scenarios"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_text(name: str) -> str | None:
    """The file of the built-in scenario ``name`` as written, comments and all; None when
    no built-in has that name."""
    if name not in builtin_names():  # (a long text taken for a name cannot be looked up)
        return None
    return (resources.files("scsim") / "scenarios" / f"{name}.yaml").read_text(
        encoding="utf-8")


# Limits on what a scenario may hold, checked while it is read, so that a YAML alias bomb
# (a few lines that expand to billions of nodes), a self-referencing alias or thousands of
# nested brackets answer at once with one clear line instead of hanging or overflowing.
MAX_FILE_BYTES = 8 * 2**20  # a scenario is a few kilobytes; a network is a separate file
MAX_NODES = 50_000  # YAML nodes after aliases are expanded (built-ins: under 1,000)
MAX_DEPTH = 64  # nesting of mappings and lists (built-ins: under 10)


def read_text(path: Path) -> str:
    """The text of a scenario file: UTF-8 and not binary, else a ScenarioError."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(f"{path}: {size:,} bytes is too large for a scenario file "
                                f"(at most {MAX_FILE_BYTES // 2**20} MiB)")
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the file: {exc.strerror}") from None
    if b"\0" in data:
        raise ScenarioError(f"{path}: not a scenario: a binary file (YAML text expected)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); save the "
                            "scenario as UTF-8") from None


def parse_yaml(text: str, source: str) -> Document:
    """Parse YAML, rejecting duplicate keys and recording the line of every key."""
    root = _compose(text, source)
    if root is None:
        return Document({}, {}, source)
    lines: dict[tuple, int] = {}
    data = _construct(root, (), lines, source, _Budget())
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}:{root.start_mark.line + 1}: a scenario must be a mapping "
                            "of sections")
    return Document(data, lines, source)


def load_value(text: str, source: str) -> Any:
    """A YAML value (a --set value) read under the same limits as a scenario file."""
    root = _compose(text, source)
    return None if root is None else _construct(root, (), {}, source, _Budget())


def _compose(text: str, source: str) -> yaml.Node | None:
    """The YAML node graph, after checking the nesting depth on the event stream (the
    composer recurses once per level). Read by libyaml where PyYAML has it (``YAML_LOADER``);
    what libyaml refuses is read again by the pure Python parser, which reads what it
    accepts as before (a ``%YAML 1.3`` directive) and words a syntax error better (it names
    the character it stopped at, a tab, where libyaml says "found character"): its words
    are told when it stops on the line libyaml stopped on, libyaml's otherwise (it stops
    earlier on tabs that libyaml reads)."""
    _check_flow_depth(text, source)
    fast: yaml.YAMLError | None = None
    try:
        return _depth_checked_tree(text, source, YAML_LOADER)
    except yaml.YAMLError as exc:
        fast = exc
    except RecursionError:
        pass
    try:
        return _depth_checked_tree(text, source, yaml.SafeLoader)
    except yaml.YAMLError as slow:
        told = slow if fast is None or _mark_line(slow) == _mark_line(fast) else fast
        raise ScenarioError(_yaml_problem(told, source)) from None
    except RecursionError:
        raise ScenarioError(f"{source}: nested too deeply") from None


def _mark_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    return mark.line if mark else None


def _depth_checked_tree(text: str, source: str, loader: type) -> yaml.Node | None:
    """The node graph of ``text`` as ``loader``'s parser reads it; a ScenarioError once
    collections nest deeper than MAX_DEPTH."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ScenarioError(f"{source}:{event.start_mark.line + 1}: nested more "
                                    f"than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.compose(text, Loader=loader)


YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML was built with it (3 to 5 times as fast as the pure Python
one: 40,000 lines took 2 s to compose, a built-in 65 ms to load); the nodes are resolved
and built by the same Python code either way."""


def _check_flow_depth(text: str, source: str) -> None:
    """Refuse brackets nested deeper than MAX_DEPTH before the YAML scanner sees them (it
    looks ahead over every open bracket, which takes quadratic time). Brackets inside
    quoted text count too: a real scenario never comes close."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            raise ScenarioError(f"{source}:{line}: nested more than {MAX_DEPTH} levels deep")


_BRACKETS = re.compile(r"[\[\]{}]")


# The parser's words for the slips people make in YAML, and what they mean in plain words.
_YAML_SLIPS = (
    ("'\\t' that cannot start any token", "a tab: YAML indents with spaces only"),
    ("mapping values are not allowed", "a ':' where none can be: a key indented "
     "more than the one above it, or a value with ': ' in it that needs quotes"),
    ("expected <block end>, but found", "the indentation does not line up: a key "
     "indented less than the keys beside it"),
    ("but got '<stream end>'", "a bracket opened and not closed"),
)


def _yaml_problem(exc: yaml.YAMLError, source: str) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"{source}:{mark.line + 1}" if mark else source
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    meant = next((words for slip, words in _YAML_SLIPS if slip in problem), None)
    return f"{where}: YAML syntax error: " + (f"{meant} ({problem})" if meant else problem)


class _Budget:
    """Counts the nodes built (aliases expanded) and the nodes being built (cycles), and
    whether a node was built twice (an alias)."""

    def __init__(self) -> None:
        self.nodes = 0
        self.open: set[int] = set()
        self.built: set[int] = set()
        self.aliased = False
        self.loader = yaml.SafeLoader("")  # builds the scalars (one per document: cheap)

    def count(self, node: yaml.Node, where: str) -> None:
        self.nodes += 1
        self.aliased = self.aliased or id(node) in self.built
        self.built.add(id(node))
        if self.nodes > MAX_NODES:
            raise ScenarioError(
                f"{where}: more than {MAX_NODES:,} values once YAML aliases are expanded (an "
                "alias bomb?)" if self.aliased else
                f"{where}: more than {MAX_NODES:,} values (a scenario holds a few hundred; a "
                "network is a file of its own: network.kind: file)")


MERGE_TAG = "tag:yaml.org,2002:merge"
"""The tag of a merge key (``<<: *defaults``): the keys of the mapping it names (or of
each mapping of a list, the first one first) are the mapping's too, unless it writes
them itself."""


def _construct(node: yaml.Node, path: tuple, lines: dict, source: str,
               budget: _Budget) -> Any:
    where = f"{source}:{node.start_mark.line + 1}"
    budget.count(node, where)
    if id(node) in budget.open:
        raise ScenarioError(f"{where}: a YAML alias refers to a node that contains it")
    if len(path) > MAX_DEPTH:
        raise ScenarioError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        budget.open.add(id(node))
        out: dict = {}
        merged: dict = {}  # keys a merge key brings, and their lines
        merged_lines: dict[tuple, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
                raise ScenarioError(f"{source}:{key_node.start_mark.line + 1}: "
                                    f"{format_path(path) or '(top level)'}: a {kind} cannot "
                                    "be a key (keys are names)")
            if key_node.tag == MERGE_TAG:
                _merge_into(merged, value_node, path, merged_lines, source, budget)
                continue
            key = _key(key_node, source)
            if key in out:
                raise ScenarioError(f"{source}:{key_node.start_mark.line + 1}: "
                                    f"{format_path((*path, key))}: duplicate key")
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, (*path, key), lines, source, budget)
        budget.open.discard(id(node))
        for at, line in merged_lines.items():  # where the merged keys were written
            if len(at) > len(path) and at[len(path)] not in out:
                lines.setdefault(at, line)
        return {**{k: v for k, v in merged.items() if k not in out}, **out}
    if isinstance(node, yaml.SequenceNode):
        budget.open.add(id(node))
        items, names = [], set()
        for k, item in enumerate(node.value):
            name = _item_name(item)  # a repeated name keeps its position (paths.canonical)
            items.append(_construct(item, (*path, k if name is None or name in names else name),
                                    lines, source, budget))
            names.add(name)
        budget.open.discard(id(node))
        return items
    return _scalar(node, path, source, budget)


def _merge_into(merged: dict, node: yaml.Node, path: tuple, lines: dict, source: str,
                budget: _Budget) -> None:
    """The keys a merge key (``MERGE_TAG``) brings into the mapping at ``path``: those of
    the mapping ``node`` names, or of each mapping of its list (the first one first)."""
    sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for each in sources:
        if not isinstance(each, yaml.MappingNode):
            raise ScenarioError(f"{source}:{each.start_mark.line + 1}: "
                                f"{format_path(path) or '(top level)'}: '<<' merges a "
                                "mapping (<<: *name) or a list of them")
        for key, value in _construct(each, path, lines, source, budget).items():
            merged.setdefault(key, value)


PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{kind}"
                       for kind in ("str", "int", "float", "bool", "null", "timestamp"))
"""The tags YAML gives plain values by their look (a key's tag is one of them unless the
file writes another, such as ``!!python/name:``)."""


def _key(node: yaml.ScalarNode, source: str) -> str:
    """A key as written: every key of a scenario is a name, so a plain ``on``, ``1``,
    ``~`` or ``2020-01-01`` is that text, not True, 1, None or a date (which pydantic
    would refuse without a line: "keys should be strings"). A tag written on a key is
    refused, as on a value."""
    if node.tag not in PLAIN_TAGS:
        raise _unsupported_tag(node, source)
    return node.value


def _unsupported_tag(node: yaml.Node, source: str) -> ScenarioError:
    """The error of a tag the safe loader does not build (``!!python/name:``, ``!foo``),
    on a key or a value, with its line."""
    tag = f" '{node.tag}'" if node.tag else ""
    return ScenarioError(f"{source}:{node.start_mark.line + 1}: unsupported YAML tag{tag} "
                         "(only plain values, lists and mappings)")


# Plain numbers that YAML 1.1 reads otherwise than they look: base 60 (``1:30`` is 90) and
# octal (``030`` is 24). Refused with the number meant instead of read silently.
_BASE_60 = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?")
_OCTAL = re.compile(r"[-+]?0[0-7_]+")


def _scalar(node: yaml.Node, path: tuple, source: str, budget: _Budget) -> Any:
    """A plain value; a tag the safe loader does not know (``!!python/name:``, ``!foo``)
    is refused with its line, and so is a number YAML 1.1 reads otherwise than it looks
    (``1:30``, ``030``)."""
    try:
        value = budget.loader.construct_object(node)
    except yaml.YAMLError:
        raise _unsupported_tag(node, source) from None
    if isinstance(value, int | float) and not isinstance(value, bool) and not node.style:
        where = f"{source}:{node.start_mark.line + 1}" + (f": {format_path(path)}" if path else "")
        if _BASE_60.fullmatch(node.value):
            raise ScenarioError(f"{where}: {node.value} is a number in base 60 in YAML "
                                f"({value:g}); write the number meant, or quote it")
        if _OCTAL.fullmatch(node.value):
            raise ScenarioError(f"{where}: {node.value} is an octal number in YAML ({value}); "
                                "write it without the leading 0")
    return value


def _item_name(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == "name" and isinstance(value_node,
                                                                         yaml.ScalarNode):
                return value_node.value
    return None


def merge(base: Any, over: Any) -> Any:
    """Deep-merge ``over`` onto ``base``: mappings key by key, lists of named items by name
    (new names appended), anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if _named_list(base) and _named_list(over):
        out = [copy.deepcopy(item) for item in base]
        index = {item["name"]: k for k, item in enumerate(out)}
        for item in over:
            if item["name"] in index:
                out[index[item["name"]]] = merge(out[index[item["name"]]], item)
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(over)


def _named_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(i, dict) and "name" in i for i in value)


def _exists_as(path: Path, kind: str) -> bool:
    """``path.is_file()`` (``kind`` "file") or ``path.is_dir()`` ("folder"); False for a
    name the system cannot look up (too long, as a scenario's text taken for a path)."""
    try:
        return path.is_file() if kind == "file" else path.is_dir()
    except OSError:
        return False


def _is_text(source: str) -> bool:
    """Whether a string given as a scenario is YAML text rather than a name or a path: it
    has a line break or a "key: value" in it, and no file has that name."""
    return any(mark in source for mark in ("\n", "\r", ": ")) and not _exists_as(
        Path(source), "file")


def _not_found(name: str, path: Path) -> str:
    """Why ``name`` (as the user wrote it; ``path``: where it was looked for) names no
    scenario: a folder, or neither a file nor a built-in (the nearest built-in named)."""
    if not name.strip():  # ('' is the working folder: " is a folder, not a scenario file")
        return (f"no scenario given (an empty name): give a built-in name "
                f"({', '.join(builtin_names())}) or a scenario file")
    if _exists_as(path, "folder"):
        return f"{name} is a folder, not a scenario file"
    close = difflib.get_close_matches(name, builtin_names(), n=1, cutoff=0.75)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return (f"no scenario file or built-in scenario named '{name}' ({hint}built-in: "
            f"{', '.join(builtin_names())})")


TEXT_SOURCE = "<text>"  # what problems of a scenario given as YAML text name as its file
# What a scenario file must have (its name is optional: "custom" when it gives none)
NEEDS = ("a scenario file needs a base: to start from, e.g. base: national-800, or "
         "behaviours of its own")
NOBODY_ACTS = "behaviours: [] runs it so on purpose, without this warning"
LEFT_OUT = "the run ends before its timeline's "
"""How the warning of the timeline steps a shortened run leaves out begins, after the
option that shortened it (``days=100: the run ends before its timeline's day 365: ...
(left out)``)."""


def _read_source(source: str | Path, seen: tuple = ()) -> Document:
    """A built-in name, a YAML path or YAML text (a string of several lines), with its
    ``base:`` chain merged in (a relative base file found from the working folder when
    the scenario is text)."""
    text = builtin_text(str(source)) if isinstance(source, str) else None
    if text is not None:
        doc = parse_yaml(text, f"<built-in {source}>")
        here = None
    elif isinstance(source, str) and _is_text(source):
        if len(source) > MAX_FILE_BYTES:
            raise ScenarioError(f"the scenario text has {len(source):,} characters, too many "
                                f"for a scenario (at most {MAX_FILE_BYTES // 2**20} MiB)",
                                TEXT_SOURCE)
        doc = parse_yaml(source, TEXT_SOURCE)
        if not doc.data:
            raise ScenarioError(f"the scenario text is empty ({NEEDS})", TEXT_SOURCE)
        here = None
    else:
        path = Path(source)
        if not _exists_as(path, "file"):
            raise ScenarioNotFound(_not_found(str(source), path))
        try:
            doc = parse_yaml(read_text(path), str(path))
        except ScenarioError as exc:  # the file named in the heading too, as elsewhere
            if exc.source is not None:
                raise
            raise ScenarioError(exc.problems, str(path)) from None
        if not doc.data:
            raise ScenarioError(f"{path}: the file is empty ({NEEDS})", str(path))
        here = path.parent
    base = doc.data.pop("base", None)
    if base is None:
        return doc
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(f"{doc.source}:{doc.lines.get(('base',), 1)}: base: must be a "
                            "scenario name or file")
    if base in seen:
        raise ScenarioError(f"{doc.source}: base: circular inheritance through '{base}'")
    base_ref: str | Path = base
    if builtin_text(base) is None:
        base_ref = here / base if here is not None else Path(base)
        if not _exists_as(base_ref, "file"):
            raise ScenarioError(f"{doc.source}:{doc.lines.get(('base',), 1)}: base: "
                                + _not_found(base, base_ref))
    _refuse_repeated_names(doc)
    parent = _read_source(base_ref, (*seen, base))
    inherited = dict(parent.inherited)
    if not parent.source.startswith("<built-in"):
        inherited.update({path: f"{parent.source}:{line}"
                          for path, line in parent.lines.items()})
    return Document(merge(parent.data, doc.data), doc.lines, doc.source, merged=True,
                    inherited=inherited)


def _refuse_repeated_names(doc: Document) -> None:
    """Two items of one name in a list of the document's own: merging it onto its base by
    name would keep only the last, so refused before merging, as the schema refuses them
    in a scenario without a base."""
    problems = [_describe(doc, (*loc, "name"), f"duplicate name '{name}'")
                for loc, name in repeated_names(doc.data)]
    if problems:
        raise ScenarioError(problems, doc.source)


def parse_assignment(text: str, named: str = "--set") -> tuple[tuple, Any]:
    """``key.path=value`` (value read as YAML) -> (path, value). An empty value is refused
    (a forgotten value would otherwise clear the key): ``key=null`` clears it. Problems
    begin with ``named``: how the caller gave it (``--set``, ``overrides=``)."""
    if not isinstance(text, str):
        raise ScenarioError(f"{named}: expected 'key=value' text, got {text!r}")
    if "=" not in text:
        raise ScenarioError(f"{named} {text}: expected KEY=VALUE")
    key, raw = text.split("=", 1)
    if not key.strip():  # ('' was "'': empty path", which named neither option nor key)
        raise ScenarioError(f"{named} {text}: no key before '=' (KEY=VALUE, e.g. days=30)")
    if not raw.strip():
        raise ScenarioError(f"{named} {text}: no value after '=' (write {key}=null to "
                            "clear it)")
    try:
        value = load_value(raw, f"{named} {key}")
    except ScenarioError as exc:
        if "YAML syntax error" not in str(exc):
            raise
        value = raw
    try:
        return parse_path(key), value
    except ScenarioError as exc:  # which option the path was given to, as above
        raise ScenarioError([f"{named} {text}: {p}" for p in exc.problems]) from None


def load_scenario(
    source: str | Path | dict,
    *,
    agents: int | None = None,
    days: int | None = None,
    network: str | Path | None = None,
    overrides: str | list[str] | dict[str, Any] | None = None,
    spelling: str = "python",
) -> Scenario:
    """Load, merge and validate a scenario.

    ``source`` is a built-in name (``"national-800"``), a YAML path, YAML text (a string
    of several lines, as a notebook cell holds it), or a mapping.
    ``overrides`` are ``"a.b=value"`` strings (one, or a list) or a ``{path: value}`` mapping,
    applied after
    the file; ``agents``, ``days`` and ``network`` (an edge-list path) are applied last.
    Problems name those three as they were given: ``agents=-5`` (``spelling="python"``) or
    ``--agents -5`` (``spelling="cli"``, the command line's options).
    ``days``, or an override of ``days`` (the dashboard's), drops the timeline steps on or
    after the new last day (they never happen), with a ``ScenarioWarning`` that names the
    option and each step dropped.
    A setting that does nothing (``shaming: {enabled: true}`` with its probability left at
    0: ``scenario.advice``) is issued as a ``ScenarioWarning`` naming the key to set.
    """
    if not isinstance(source, str | Path | dict):
        raise ScenarioError(f"a scenario is a built-in name, a YAML path, YAML text or a "
                            f"mapping, not {source!r}")
    if isinstance(source, dict):
        doc = Document(copy.deepcopy(source), {}, "<dict>")
        own = mapping_paths(doc.data)  # the keys its author wrote, not its base's
        base = doc.data.pop("base", None)
        if base is not None:
            _refuse_repeated_names(doc)
            doc = Document(merge(_read_source(base).data, doc.data), {}, "<dict>",
                           merged=True)
    else:
        doc = _read_source(source)
        # a built-in is the base of the overrides; a file with a base, of its own keys
        own = set() if doc.source.startswith("<built-in") else (
            set(doc.lines) if doc.merged else None)
    # a file (or mapping) whose base chain lists no behaviours, nor itself: nobody would
    # act. A mapping is warned (``ScenarioWarning``), not refused: test scaffolding builds
    # mechanisms-only scenarios as mappings (tests/conftest.py BARE); ``behaviours: []``
    # says that nobody acts on purpose.
    idle = "behaviours" not in doc.data and not doc.source.startswith("<built-in")
    if isinstance(overrides, str):  # one override, not its characters
        overrides = [overrides]
    named = "--set" if spelling == "cli" else "overrides="
    if overrides is not None and not isinstance(overrides, list | tuple | dict):
        raise ScenarioError(f"{named}: expected 'key=value', a list of them or a "
                            f"{{key: value}} mapping, got {overrides!r}")
    items = overrides.items() if isinstance(overrides, dict) else (
        parse_assignment(o, named) for o in overrides or [])
    def given(path: tuple, value: Any, option: str) -> None:
        try:
            set_path(doc.data, path, value)
        except ScenarioError as e:  # a list item that is not there: say which option
            raise ScenarioError([f"{option}: {p}" for p in e.problems], doc.source) from None
        doc.options[canonical(doc.data, path)] = option

    shortened = None  # the run's length when set from outside the file
    overridden = {}  # population.agents and days, as the overrides set them
    for key, value in items:
        path = parse_path(key) if isinstance(key, str) else key
        if tuple(path[:1]) == ("base",):  # taken by the loader, before any override
            raise ScenarioError(f"override {format_path(path)}={_num(value)}: base is the "
                                "scenario a file builds on, not a setting: give that "
                                "scenario instead", doc.source)
        given(path, value, f"override {format_path(path)}={_num(value)}")
        overridden[tuple(path)] = value
        if tuple(path) == ("days",):
            shortened = value
    def option(name: str, value: Any) -> str:  # how the caller gave it
        if spelling == "cli":
            return f"--{name} {value}"
        return f"{name}={str(value)!r}" if isinstance(value, Path) else f"{name}={value!r}"

    for path, value, name in ((("population", "agents"), agents, "agents"),
                              (("days",), days, "days")):
        if value is not None and path in overridden and overridden[path] != value:
            raise ScenarioError(f"{option(name, value)} and the override {format_path(path)}="
                                f"{_num(overridden[path])} disagree: give one of them",
                                doc.source)
    if network is not None and agents is not None:
        raise ScenarioError(f"{option('agents', agents)} and {option('network', network)}: "
                            "an edge-list network fixes the number of agents (its node "
                            "count); give one of them", doc.source)
    if agents is not None:
        given(("population", "agents"), agents, option("agents", agents))
    if days is not None:
        given(("days",), days, option("days", days))
        shortened = days
    timeline = doc.data.get("timeline")
    if isinstance(shortened, int) and not isinstance(shortened, bool) and isinstance(
            timeline, list):
        # a shorter run than the scenario's: the timeline steps it never reaches are dropped
        doc.timeline_kept = [k for k, step in enumerate(timeline) if not (
            isinstance(step, dict) and isinstance(step.get("day"), int)
            and step["day"] >= shortened)]
        doc.data["timeline"] = [timeline[k] for k in doc.timeline_kept]
    if network is not None:
        given(("network", "kind"), "file", option("network", network))
        given(("network", "path"), str(Path(network).resolve()), option("network", network))
    sc = validate(doc)  # its own problems first, then this one
    if doc.timeline_kept is not None and len(doc.timeline_kept) < len(timeline):
        # the steps dropped above, which a full run would take: a day written past the
        # file's own days is refused, so dropping one unsaid hid that the abolition of day
        # 365 never came in a run of 100 days. A step the file gets wrong is not validated
        # (it never happens), so its set is worded as written.
        dropped = sorted(({**step, "set": step["set"] if isinstance(step.get("set"), dict)
                           else {"set": step.get("set")}}
                          for k, step in enumerate(timeline) if k not in doc.timeline_kept),
                         key=lambda step: step["day"])
        warnings.warn(ScenarioWarning(
            f"{_where(doc, ('days',))}{LEFT_OUT}{timeline_in_words(dropped)} (left out)",
            ("days",)), stacklevel=2)
    if idle and "behaviours" not in doc.data:  # (an override may add one)
        if not isinstance(source, dict):
            raise ScenarioError(f"{doc.source}: no behaviours ({NEEDS})", doc.source)
        warnings.warn(ScenarioWarning(f"{doc.source}: no behaviours ({NEEDS}): nobody acts "
                                      f"in it ({NOBODY_ACTS})", ("behaviours",)),
                      stacklevel=2)
    if own is not None:
        own |= {path[:cut] for path in doc.options for cut in range(1, len(path) + 1)}
    for path, sentence in inert_settings(sc, own=own):
        warnings.warn(ScenarioWarning(_where(doc, path, under=True) + sentence, path),
                      stacklevel=2)
    return sc


def load_advised(source: str | Path | dict, **options: Any) -> tuple[Scenario, list[str]]:
    """``load_scenario(source, **options)``, with its ``ScenarioWarning``s (the settings
    that do nothing, ``scenario.advice``; the timeline steps a shorter run leaves out)
    returned as sentences, each once and in the order found, instead of issued: for a
    caller that shows them its own way (the command line, the dashboard). Other warnings
    are issued as usual."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScenarioWarning)
        sc = load_scenario(source, **options)
    advice: list[str] = []
    for w in caught:
        if not issubclass(w.category, ScenarioWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        elif str(w.message) not in advice:
            advice.append(str(w.message))
    return sc, advice


def load_unadvised(source: str | Path | dict, **options: Any) -> Scenario:
    """``load_scenario(source, **options)`` with its ``ScenarioWarning``s not issued: for a
    caller that told them already, or tells them once for many loads (a sweep's cells, a
    calibration's trials, the dashboard's jobs and warm-up). Other warnings are issued as
    usual."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return load_scenario(source, **options)


def as_scenario(scenario: Scenario | str | Path | dict, *, agents: int | None = None,
                days: int | None = None,
                overrides: str | list[str] | dict[str, Any] | None = None) -> Scenario:
    """``scenario`` validated again when it is a Scenario and nothing is changed (a field
    set by ``model_copy(update=...)``, a list changed in place, and the rules across
    fields are not checked when they are set; an assignment is, ``section.Section``);
    otherwise loaded with ``load_scenario`` (a built-in name, a YAML path or a mapping; a
    Scenario through its mapping), ``agents``, ``days`` and ``overrides`` applied as it
    applies them."""
    if isinstance(scenario, Scenario):
        data = scenario.model_dump(mode="json", warnings=False)
        if agents is None and days is None and not overrides:
            return validate(Document(data, {}, "<scenario>"))
        scenario = data
    return load_scenario(scenario, agents=agents, days=days, overrides=overrides)


def validate(doc: Document) -> Scenario:
    """Validate a document; on failure raise one ScenarioError listing every problem."""
    try:
        sc = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors()
        errors, misnamed = _misnamed_items(doc, errors)
        suggest = sum(err["type"] == "extra_forbidden" for err in errors) <= SUGGESTED_AT_MOST
        for err in errors:  # an override's key: base is not one (the file's loader's)
            loc = tuple(err["loc"])
            err["by_option"] = any(path[:len(loc)] == loc for path in doc.options)
        problems = [_describe(doc, tuple(err["loc"]), _message(err, suggest))
                    for err in _field_problems(errors, suggest)]
        problems += [_describe(doc, loc, msg) for loc, msg in misnamed]
        problems += [_describe(doc, loc, msg) for loc, msg in _beside_unknown_keys(doc, errors)]
        raise ScenarioError(sorted(problems, key=_line_of), doc.source) from None
    problems = [_describe(doc, loc, msg) for loc, msg in consistency_problems(sc)]
    if problems:
        raise ScenarioError(sorted(problems, key=_line_of), doc.source)
    if sc.network.kind == "file" and sc.network.path and not Path(sc.network.path).is_file():
        what = ("is a folder, not an edge-list file" if Path(sc.network.path).is_dir()
                else "file not found")
        raise ScenarioError(
            [_describe(doc, ("network", "path"), f"{what}: {sc.network.path}")], doc.source)
    timeline_epochs(sc, doc)
    return sc


def _beside_unknown_keys(doc: Document, errors: list[dict]) -> list[tuple[tuple, str]]:
    """When every problem is an unknown key, the rules that span fields, checked on the
    scenario without those keys (which change nothing), so that one run of ``validate``
    tells both; [] when other problems stop the scenario from being read."""
    if any(err["type"] != "extra_forbidden" for err in errors):
        return []
    data = copy.deepcopy(doc.data)
    try:
        for err in errors:
            *parent, key = err["loc"]
            node = data
            for k in parent:
                node = node[k]
            del node[key]
        return consistency_problems(Scenario.model_validate(data))
    except (KeyError, IndexError, TypeError, ValidationError):  # a key not found as named
        return []


def timeline_epochs(sc: Scenario, doc: Document | None = None) -> list[tuple[int, Scenario]]:
    """The scenario in force from each day on: [(0, sc), (day1, sc1), ...], each step
    applied on top of the previous one, in day order. Raises ScenarioError for an invalid
    step, with every problem of the first one found, each named by the step's place in the
    file and the key as written there."""
    doc = doc or Document({}, {}, "<scenario>")
    epochs = [(0, sc)]
    data = sc.model_dump(mode="json")
    categories = list(dict.fromkeys(b.category for b in sc.behaviours))  # as core.params
    for k, step in sorted(enumerate(sc.timeline), key=lambda item: item[1].day):
        problems, written = [], {}
        if step.day >= sc.days:
            problems.append(_describe(doc, ("timeline", k, "day"), f"day {step.day} is after "
                                      f"the run ends (days: {sc.days})"))
        for key, value in step.set.items():
            try:
                path = parse_path(key)
                if _fixed_in_timeline(path):
                    raise ScenarioError(f"'{key}' is fixed when the run starts and cannot "
                                        "change on a timeline")
                set_path(data, path, value)
                written[key] = path
            except ScenarioError as exc:
                problems += [_describe(doc, ("timeline", k, "set", key), p)
                             for p in exc.problems]
        try:
            later = Scenario.model_validate(data)
        except ValidationError as exc:
            found = [(tuple(e["loc"]), _message(e)) for e in exc.errors()]
        else:
            found = consistency_problems(later) + [
                (("behaviours", j, "category"), f"category '{b.category}' is not one of "
                 f"day 0's ({', '.join(categories)}): each agent's propensity per category "
                 "is drawn when the run starts, so a timeline can only move a behaviour "
                 "to one of those")
                for j, b in enumerate(later.behaviours) if b.category not in categories]
            if not found and _shape(later) != _shape(sc):
                found = [((), "cannot add, remove or rename behaviours, channels, tiers, "
                          "groups, privileges or company events on a timeline")]
        problems += [_describe(doc, _in_step(k, data, written, loc), msg) for loc, msg in found]
        if problems:
            raise ScenarioError(sorted(problems, key=_line_of), doc.source)
        epochs.append((step.day, later))
    return epochs


def _in_step(k: int, data: dict, written: dict[str, tuple], loc: tuple) -> tuple:
    """Where a problem at ``loc`` of the scenario after timeline step ``k`` is told: under
    the key of the step that set it, as written (``behaviours.jaywalking.rate``, however
    the problem numbers the item), else under the step's ``set``."""
    canon = canonical(data, loc)
    keys = [key for key, path in written.items()
            if canon[: len(path)] == canonical(data, path)]
    if not keys:
        return ("timeline", k, "set", format_path(loc)) if loc else ("timeline", k, "set")
    key = max(keys, key=lambda key: len(written[key]))
    return ("timeline", k, "set", key, *loc[len(written[key]):])


def _shape(sc: Scenario) -> tuple:
    return (
        [b.name for b in sc.behaviours], list(sc.surveillance.channels),
        [t.name for t in sc.tiers], [g.name for g in sc.population.groups],
        [p.name for p in sc.privileges.grants], [e.name for e in sc.companies.events],
        [t.name for t in sc.companies.tiers],
    )


def _line_of(problem: str) -> int:
    """The line number a described problem starts with (0 when it names none)."""
    head = problem.split(": ", 1)[0]
    return int(head.rsplit(":", 1)[1]) if head.rsplit(":", 1)[-1].isdigit() else 0


def _describe(doc: Document, loc: tuple, message: str) -> str:
    """'file:line: path: message', with the nearest known line. The path names items of
    named lists by position (``behaviours[3].rate``), or by name
    (``behaviours.jaywalking.rate``) where a base was merged in: its positions count the
    base's items too. A problem of one key that another explains (a factor times a
    rate) is put at the override that set the other, when its message names it."""
    if doc.merged:
        loc = canonical(doc.data, loc)
        if loc == ("population", "groups") and message.startswith("shares must sum"):
            message += ("; a base's groups and yours merge by name, so to have other groups "
                        "give yours the base's names")
    kept = doc.timeline_kept
    if kept is not None and loc[:1] == ("timeline",) and len(loc) > 1 and isinstance(
            loc[1], int) and loc[1] < len(kept):  # the step's place in the file
        loc = ("timeline", kept[loc[1]], *loc[2:])
    # a key of no line, or of a built-in's line (which the user did not write): the
    # override that wrote under it (--set foo.bar=1 for 'foo'; a key misspelt by --set
    # listing.appeal.rate=1 is not the file's line of listing)
    unwritten = canonical(doc.data, loc) not in doc.lines
    where = _where(doc, loc, under=doc.source.startswith("<built-in") or unwritten) or _where(
        doc, loc, under=True)
    if not where.startswith(tuple(doc.options.values())):
        said = re.sub(r" \((known: |did you mean )[^)]*\)", "", message)  # not its hints
        named = [given for path, given in doc.options.items() if re.search(
            rf"(?<![\w.]){re.escape(format_path(path))}(?![\w.\[])", said)]
        where = f"{named[0]}: " if named else where
    elif doc.options:  # at an option: items by name, as an override names them
        loc = canonical(doc.data, loc)
    return f"{where}{format_path(loc) or '(top level)'}: {message}"


def _where(doc: Document, loc: tuple, under: bool = False) -> str:
    """Where the key at ``loc`` was given: 'option: ' (an override, ``--agents``..., of it,
    a key above it or, failing those and with ``under``, one under it: a section a warning
    is about, set key by key), 'file:line: ' (the nearest known line), or '' when neither
    is known."""
    canon = canonical(doc.data, loc)
    option = next((doc.options[canon[:cut]] for cut in range(len(canon), 0, -1)
                   if canon[:cut] in doc.options), None)
    if option is None and under:
        option = next((given for path, given in doc.options.items()
                       if path[:len(canon)] == canon), None)
    if option is not None:
        return f"{option}: "
    for cut in range(len(canon), 0, -1):  # not the document itself: a --set value has no line
        line = doc.lines.get(canon[:cut])
        if line is not None:
            return f"{doc.source}:{line}: " if doc.lines else ""
        if canon[:cut] in doc.inherited:  # written by a base file, not this one
            return f"{doc.inherited[canon[:cut]]}: "
    return ""


def _message(err: dict, suggest: bool = True) -> str:
    """A short message for one pydantic error; an unknown key's says which key it
    probably meant when ``suggest``."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    bounds = {"greater_than_equal": ">= {ge}", "greater_than": "> {gt}",
              "less_than_equal": "<= {le}", "less_than": "< {lt}"}
    if kind in bounds:
        said = "must be " + bounds[kind].format(**{k: _num(v) for k, v in ctx.items()})
        if kind == "less_than_equal" and ctx.get("le") == 1 and isinstance(
                value, int | float) and 1 < value <= 100:  # 5 for 5 %
            said += f" (a share or probability: {_num(value)} % is {_num(value / 100)})"
        return said
    if kind == "extra_forbidden":
        close = _meant(err["loc"]) if suggest else None
        known = _fields_at(err["loc"][:-1])
        if err.get("by_option"):  # (base is a file's key, not a setting)
            close, known = None if close == "base" else close, [k for k in known if k != "base"]
        hint = f" (did you mean '{close}'?)" if close else (
            f" (known: {', '.join(known)})" if known else "")
        return f"unknown key{hint}"
    if kind == "missing":
        return "required"
    if kind == "finite_number":
        return "must be a finite number"
    if kind in ("float_parsing", "float_type"):
        if isinstance(value, list) and any(isinstance(v, bool) for v in value):
            return f"must be a list of numbers, got {_echo(value)}"  # true or false in it
        if isinstance(value, list | dict):  # for one number
            shape = "a list" if isinstance(value, list) else "a mapping"
            return f"must be a number, got {shape}: {_echo(value)}"
        if isinstance(value, str) and value.strip().endswith("%") and _is_share(
                tuple(err["loc"])):  # 5% for 0.05
            with suppress(ValueError):
                share = float(value.strip().removesuffix("%").strip()) / 100
                if math.isfinite(share):
                    return (f"must be a number, got {_echo(value)} (a percentage as a "
                            f"share: write {_num(share)})")
        return f"must be a number, got {_echo(value)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        from scsim.outputs.words import whole_number_meant

        # YAML reads 1e3 and 1,000 as text, 2.5 as a number with a fraction
        meant = (whole_number_meant(str(value))
                 if isinstance(value, str | float) and not isinstance(value, bool) else None)
        hint = f" (write {meant})" if meant else ""
        return f"must be a whole number, got {_echo(value)}{hint}"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false, got {_echo(value)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {_echo(value)}"
    if kind == "string_pattern_mismatch":
        return f"must be a lowercase name (a-z, 0-9, _), got {_echo(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a section (a mapping of keys)"
    if kind == "list_type":
        return "must be a list"
    if kind == "too_short":
        return "must not be empty"
    return err["msg"][0].lower() + err["msg"][1:]


ECHO = 40  # characters of a value a problem repeats; a longer one is cut ('xxxx…')


def _echo(value: Any) -> str:
    """A value a problem repeats, as Python writes it (true and false as YAML does), cut to
    ``ECHO`` characters with how long it was (5,000 characters typed into a box were
    repeated whole, twice)."""
    text = _num(value) if isinstance(value, bool | list) else repr(value)
    if len(text) <= ECHO:
        return text
    return f"{text[:ECHO - 1]}… ({len(str(value)):,} characters)"


def _num(v: Any) -> str:
    """An override's value as YAML spells it (``true``, ``null``, ``0.3``; a mapping or
    list in flow style, ``{day: 10, set: {listing.threshold: 600}}``, as it was written
    on the command line; a control character as Python escapes it, ``\\x1b``, so that an
    error does not send it to the terminal)."""
    if isinstance(v, bool) or v is None:
        return {True: "true", False: "false", None: "null"}[v]
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_num(k)}: {_num(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_num(x) for x in v) + "]"
    text = f"{v:g}" if isinstance(v, float) else "".join(
        repr(c)[1:-1] if unicodedata.category(c) == "Cc" else c for c in str(v))
    return text if len(text) <= ECHO else f"{text[:ECHO - 1]}…"


SUGGESTED_AT_MOST = 1_000
"""The unknown keys in one scenario beyond which none is told which key it probably meant
(a flood of 40,000 took 12 s of string matching for a message that shows 50)."""


@functools.lru_cache(maxsize=SUGGESTED_AT_MOST)  # asked twice for each unknown key
def _meant(loc: tuple) -> str | None:
    """The key of the schema an unknown key at ``loc`` is closest to, if any is close."""
    close = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1)
    return close[0] if close else None


def _misnamed_items(doc: Document, errors: list[dict]) -> tuple[list[dict], list[tuple]]:
    """The errors, less the required keys missing from a new item of a merged named list
    whose name is close to one the list has (``criticizing_government`` in a file based on
    national-800, which has ``criticising_government``), and one problem for each such
    item instead: it is a misspelling far more often than a new behaviour, and "rate:
    required, channel: required" did not say so."""
    if not doc.merged:
        return errors, []
    missing: dict[tuple, list[str]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        cut = next((k for k, part in enumerate(loc) if isinstance(part, int)), None)
        if err["type"] == "missing" and cut is not None and cut == len(loc) - 2:
            missing.setdefault(loc[:cut + 1], []).append(str(loc[-1]))
    told: dict[tuple, str] = {}
    for item, keys in missing.items():
        listed = doc.data
        for part in item[:-1]:
            listed = listed.get(part) if isinstance(listed, dict) else None
        if not _named_list(listed) or item[-1] >= len(listed):
            continue
        name = listed[item[-1]]["name"]
        others = [str(other["name"]) for other in listed if other["name"] != name]
        close = difflib.get_close_matches(str(name), others, n=1)
        if close:
            what = str(item[-2]).removesuffix("s")
            told[item] = (f"no {what} '{name}' to change (did you mean '{close[0]}'?); a new "
                          f"{what} needs {', '.join(keys)}")
    kept = [err for err in errors if tuple(err["loc"])[:-1] not in told
            or err["type"] != "missing"]
    return kept, list(told.items())


def assignment_problems(errors: list[dict], at: tuple) -> list[str]:
    """The problems of a value assigned to a field of a scenario's section at ``at``
    (``Section.__setattr__``; pydantic's errors, their paths from that section), in the
    loader's words, each named by its path from the scenario
    (``listing.threshold: must be a number, got 'abc'``)."""
    errors = [{**err, "loc": (*at, *err["loc"]), "type": "extra_forbidden"
               if err["type"] == "no_such_attribute" else err["type"]} for err in errors]
    return [f"{format_path(tuple(err['loc']))}: {_message(err)}"
            for err in _field_problems(errors)]


def _field_problems(errors: list[dict], suggest: bool = True) -> list[dict]:
    """The pydantic errors worth telling: a required key reported missing is left out when
    an unknown key beside it is its misspelling (that one says 'did you mean ...?'), when
    unknown keys are to be matched (``suggest``)."""
    misspelt = {(*err["loc"][:-1], meant) for err in errors if suggest and
                err["type"] == "extra_forbidden" and (meant := _meant(err["loc"]))}
    return [err for err in errors
            if not (err["type"] == "missing" and tuple(err["loc"]) in misspelt)]


def _fields_at(loc: tuple) -> list[str]:
    """Field names of the schema section at ``loc``, for 'did you mean' hints (at the top,
    ``base`` first: the loader takes it before the schema sees the file)."""
    if loc == ():
        return ["base", *Scenario.model_fields]
    model = _section_at(loc)
    return list(model.model_fields) if model is not None else []


def _section_at(loc: tuple) -> Any:
    """The schema's section model at ``loc`` (list positions and the names of a mapping of
    sections, ``surveillance.channels.<name>``, passed through), or None."""
    model: Any = Scenario
    skip_key = False
    for key in loc:
        if isinstance(key, int):
            continue
        if skip_key:  # a key of a mapping of sections (surveillance.channels.<name>)
            skip_key = False
            continue
        field = model.model_fields.get(key) if model is not None else None
        if field is None:
            return None
        model = section_model(field.annotation)
        skip_key = _is_mapping(field.annotation)
    return None if skip_key else model


def _is_share(loc: tuple) -> bool:
    """Whether the setting at ``loc`` is a share or a probability (a number at most 1)."""
    model = _section_at(loc[:-1]) if loc else None
    field = model.model_fields.get(loc[-1]) if model is not None else None
    return field is not None and any(getattr(m, "le", None) == 1 for m in field.metadata)


def _is_mapping(annotation: Any) -> bool:
    if typing.get_origin(annotation) is dict:
        return True
    return any(_is_mapping(a) for a in typing.get_args(annotation))


def dump_yaml(sc: Scenario) -> str:
    """The fully resolved scenario as YAML (every default filled in)."""
    if not isinstance(sc, Scenario):
        raise ScsimError(f"dump_yaml takes a Scenario (scsim.load_scenario(...)), not {sc!r}")
    data = sc.model_dump(mode="json")
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
