"""YAML that people write (bases.yaml, example.yaml, front matter): parsed safely, errors named by line.

Safe means more than `yaml.safe_load`: what a contributor submits is read by the same function, so a
document must also be small, shallow and plain. No tags (a tag names a constructor: Python objects,
binary, sets, or an `!!int` that is no number), text keys only (keys of mixed types cannot be sorted,
lists as keys cannot be hashed), no text holding characters that no file may hold (NUL, which the
database refuses, or lone surrogates, which cannot be encoded), and aliases that expand to no more than
MAX_NODES nodes and MAX_DEPTH levels (a "billion laughs" is small as text and endless as data; an alias
to its own anchor never ends). Every refusal is a sentence naming the line.
"""

import re

import yaml

MAX_CHARS = 256 * 1024  # as large as an example's file may be (catalog/content/examples.py)
MAX_DEPTH = 32  # levels of lists and mappings, aliases followed; example.yaml needs about 8
MAX_NODES = 20_000  # values, aliases expanded; the largest curated file has about 1,000
MAX_NUMBER_CHARS = 32  # a number longer than this is a mistake or an attack (int() refuses 4,300 digits)
STR, MERGE = "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"
NUMBERS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
KIND = {
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:null": "null",
}
# What YAML's own reader refuses in a file, refused as well when an escape ("\0", "\ud800") writes it.
NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Refused(yaml.MarkedYAMLError):
    """A document that is valid YAML but not one we read."""

    def __init__(self, problem: str, node_or_event):
        super().__init__(problem=problem, problem_mark=node_or_event.start_mark)


class _Loader(yaml.SafeLoader):
    """The pure-Python safe loader, refusing tags and counting depth and nodes as it composes."""

    # Dates stay text ("2026-05-14"); readers that want a day parse it (catalog/workshops/fields.py).
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag in (*KIND, MERGE)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, text: str):
        super().__init__(text)
        self.depth = self.composed = 0

    def compose_node(self, parent, index):
        # The composer recurses once per level: refuse before Python's own limit is reached.
        event = self.peek_event()
        if getattr(event, "tag", None) not in (None, "!"):
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise Refused(f"the tag {tag} is not allowed: plain YAML only, without tags", event)
        self.depth += 1
        self.composed += 1
        try:
            if self.depth > MAX_DEPTH:
                raise Refused(f"nested deeper than {MAX_DEPTH} levels", event)
            if self.composed > MAX_NODES:
                raise Refused(f"more than {MAX_NODES} values", event)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse_yaml(text: str, line_offset: int = 0) -> tuple[object, str]:
    """(data, "") or (None, "invalid YAML at line N: …"); `line_offset`: lines of the file before `text`."""
    if len(text) > MAX_CHARS:
        return None, f"invalid YAML: larger than {MAX_CHARS // 1024} KiB"
    loader = None
    try:
        loader = _Loader(text)  # the reader checks every character here
        node = loader.get_single_node()
        if node is None:
            return None, ""
        check_graph(node)
        return loader.construct_document(node), ""
    except yaml.YAMLError as error:
        return None, f"invalid YAML{_where(error, text, line_offset)}: {_problem(error)}"
    except (ValueError, TypeError, KeyError, RecursionError) as error:  # a constructor met what it cannot
        return None, f"invalid YAML: {type(error).__name__}: {error}"
    finally:
        if loader:
            loader.dispose()


def check_graph(root: yaml.Node) -> None:
    """Raise Refused for what composing cannot see: what aliases expand to, keys, numbers and text."""
    done: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, depth) of its expansion
    open_ids: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in done:
            continue
        children = _children(node)
        if not children_done:
            if id(node) in open_ids:
                raise Refused("an alias refers to the value it is part of", node)
            _check_node(node)
            open_ids.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in done)
            continue
        open_ids.discard(id(node))
        measured = [done[id(child)] for child in children]
        size = 1 + sum(nodes for nodes, _ in measured)
        depth = 1 + max((levels for _, levels in measured), default=0)
        if size > MAX_NODES:
            raise Refused(f"more than {MAX_NODES} values once its aliases are expanded", node)
        if depth > MAX_DEPTH:
            raise Refused(f"nested deeper than {MAX_DEPTH} levels once its aliases are expanded", node)
        done[id(node)] = (size, depth)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _check_node(node: yaml.Node) -> None:
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag == MERGE:
                continue
            if not isinstance(key, yaml.ScalarNode):
                raise Refused("a key must be text, not a list or a mapping", key)
            if key.tag != STR:
                raise Refused(f"the key {key.value!r} reads as {KIND[key.tag]}; keys are text: quote it", key)
            if key.value in seen:
                raise Refused(f"the key {key.value!r} is given twice", key)
            seen.add(key.value)
    elif isinstance(node, yaml.ScalarNode):
        if node.tag in NUMBERS and len(node.value) > MAX_NUMBER_CHARS:
            raise Refused(f"a number of more than {MAX_NUMBER_CHARS} characters", node)
        found = NOT_PRINTABLE.search(node.value)
        if found:
            raise Refused(
                f"the text holds the character U+{ord(found.group()):04X}, which is not allowed", node
            )


def _where(error: yaml.YAMLError, text: str, line_offset: int) -> str:
    mark = getattr(error, "problem_mark", None)
    if mark:
        return f" at line {mark.line + 1 + line_offset}"
    position = getattr(error, "position", None)  # the reader's errors count characters, not lines
    if isinstance(error, yaml.reader.ReaderError) and position is not None:
        return f" at line {text.count(chr(10), 0, position) + 1 + line_offset}"
    return ""


def _problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.reader.ReaderError) and isinstance(error.character, int):
        return f"the character U+{error.character:04X} is not allowed"
    return getattr(error, "problem", None) or str(error)
