"""A scenario as a Graphviz flow diagram: pure, ``flow_dot(scenario)`` -> DOT text.

One node per scenario node, shaped by kind (class ``kind-<kind>`` in the SVG); edges carry the
menu key, the condition or the handler (invalid / no input) that leads along them. A target
that names no node is drawn as a red "missing" node, so a broken file still shows its shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ivr.scenario import conditions as c
from ivr.scenario import model as m

MAX_LABEL = 40
ENTRY = "__entry__"
KIND_STYLES = {
    "say": 'shape=box, style="rounded,filled", fillcolor="#e8f0fe"',
    "menu": 'shape=box, style="filled,bold", fillcolor="#fff4d6"',
    "gather": 'shape=parallelogram, style=filled, fillcolor="#e6f4ea"',
    "condition": 'shape=diamond, style=filled, fillcolor="#fde7e9"',
    "set": 'shape=note, style=filled, fillcolor="#f1f3f4"',
    "transfer": 'shape=cds, style=filled, fillcolor="#d2e3fc"',
    "channel_switch": 'shape=hexagon, style=filled, fillcolor="#f3e8fd"',
    "hangup": 'shape=doubleoctagon, style=filled, fillcolor="#fce8e6"',
    "goto": 'shape=rarrow, style=filled, fillcolor="#ffffff"',
    "call": 'shape=box, peripheries=2, style=filled, fillcolor="#e8eaed"',
    "return": 'shape=larrow, style=filled, fillcolor="#e8eaed"',
}
MISSING_STYLE = 'shape=box, style="dashed,filled", color="#d93025", fillcolor="#fce8e6"'
HANDLER_STYLE = 'style=dashed, color="#80868b", fontcolor="#5f6368"'


@dataclass(frozen=True, slots=True)
class FlowEdge:
    """One arrow of the diagram; ``target`` is a node id (maybe missing from the scenario)."""

    source: str
    target: str
    label: str = ""
    style: str = ""


def quote(text: str) -> str:
    """``text`` as a DOT double-quoted string (newlines become spaces)."""
    flat = " ".join(text.split("\n"))
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def label(*lines: str) -> str:
    """A multi-line DOT label; each line shortened to :data:`MAX_LABEL` characters."""
    cut = [line if len(line) <= MAX_LABEL else line[: MAX_LABEL - 1] + "…" for line in lines]
    inner = "\\n".join(quote(line)[1:-1] for line in cut if line)
    return f'"{inner}"'


def describe(test: c.Test) -> str:
    """A short human reading of a condition, e.g. ``vip``, ``hours support``."""
    match test:
        case c.Vip(value):
            return "vip" if value else "not vip"
        case c.Known(value):
            return "known caller" if value else "unknown caller"
        case c.Segment(values):
            return f"segment {'/'.join(values)}"
        case c.Language(values):
            return f"language {'/'.join(values)}"
        case c.Hours(calendar):
            return f"hours {calendar}"
        case c.Value():
            name = test.name if test.source == "field" else f"attribute {test.name}"
            parts = [] if test.present is None else ["present" if test.present else "absent"]
            if test.equals is not None:
                parts.append(f"= {'/'.join(test.equals)}")
            if test.matches is not None:
                parts.append(f"~ {test.matches}")
            return " ".join([name, *parts])
        case c.All(tests):
            return " and ".join(describe(t) for t in tests)
        case c.Any_(tests):
            return " or ".join(describe(t) for t in tests)
        case c.Not(inner):
            return f"not ({describe(inner)})"
    return "?"


def node_detail(node: m.AnyNode) -> str:
    """The second line of a node's box: its kind and what matters about it."""
    match node:
        case m.Gather():
            return f"gather {node.field}"
        case m.Transfer():
            return f"transfer → {node.spec.service}"
        case m.Hangup():
            return f"hangup ({node.reason})"
        case m.SetData():
            what = [f"{k}=…" for k in node.data]
            what += [f"language={node.language}"] if node.language else []
            what += [f"intent={node.intent}"] if node.intent else []
            return f"set {', '.join(what)}".strip()
        case m.CallFlow():
            return f"call {node.flow}"
        case m.ChannelSwitch():
            return "channel switch"
    return node.kind


def flow_edges(node: m.AnyNode, defaults: m.Defaults) -> Iterator[FlowEdge]:
    """The arrows leaving ``node`` (a menu option that transfers goes to its own box)."""
    nid = node.id
    match node:
        case m.Say() | m.SetData():
            if node.next:
                yield FlowEdge(nid, node.next)
        case m.Gather():
            if node.next:
                yield FlowEdge(nid, node.next, "collected")
        case m.Goto():
            if node.target:
                yield FlowEdge(nid, node.target)
        case m.CallFlow():
            if node.flow:
                yield FlowEdge(nid, node.flow, "sub-flow", "style=dashed")
            if node.next:
                yield FlowEdge(nid, node.next, "after return")
        case m.Condition():
            for branch in node.branches:
                yield FlowEdge(nid, branch.then, describe(branch.test))
            if node.otherwise:
                yield FlowEdge(nid, node.otherwise, "else")
        case m.Menu():
            for option in node.options:
                key = f"{option.key} {option.intent}" if option.intent else option.key
                target = option_node(nid, option.key) if option.transfer else option.target
                if target:
                    yield FlowEdge(nid, target, key)
        case m.ChannelSwitch():
            for choice in node.options:
                if choice.target:
                    yield FlowEdge(nid, choice.target, f"{choice.key} {choice.choice}")
    if isinstance(node, m.Interactive):
        yield from _handler_edges(node, defaults)


def _handler_edges(node: m.Interactive, defaults: m.Defaults) -> Iterator[FlowEdge]:
    targets: dict[str, list[str]] = {}
    for name, text in (("invalid", "invalid"), ("no_input", "no input")):
        own: m.Handler | None = getattr(node, name)
        handler = own if own is not None and own.target is not None else getattr(defaults, name)
        if handler.target is not None:
            targets.setdefault(handler.target, []).append(text)
    for target, names in targets.items():
        yield FlowEdge(node.id, target, " / ".join(names), HANDLER_STYLE)


def option_node(menu_id: str, key: str) -> str:
    """The id of the box drawn for a menu option that transfers directly."""
    return f"{menu_id}/{key}"


def flow_dot(scenario: m.Scenario) -> str:
    """The DOT text of ``scenario``'s diagram (deterministic: file order of nodes)."""
    prefix = f"flow-{scenario.name}-"

    def box(nid: str, style: str, text: str, css: str) -> str:
        return (
            f"  {quote(nid)} [{style}, label={text}, class={quote(css)}, id={quote(prefix + nid)}];"
        )

    out = [
        f"digraph {quote(scenario.name)} {{",
        '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.3, ranksep=0.45];',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
        box(ENTRY, 'shape=circle, width=0.2, style=filled, fillcolor="#202124"', '""', "entry"),
    ]
    drawn = set(scenario.nodes)
    edges: list[FlowEdge] = []
    for node in scenario.nodes.values():
        style = KIND_STYLES.get(node.kind, "shape=box")
        out.append(box(node.id, style, label(node.id, node_detail(node)), f"kind-{node.kind}"))
        for option in node.options if isinstance(node, m.Menu) else ():
            if option.transfer is not None:
                oid = option_node(node.id, option.key)
                text = label(f"transfer → {option.transfer.service}")
                out.append(box(oid, KIND_STYLES["transfer"], text, "kind-transfer"))
                drawn.add(oid)
        edges.extend(flow_edges(node, scenario.defaults))
    if scenario.entry:
        edges.insert(0, FlowEdge(ENTRY, scenario.entry))
    for target in sorted({e.target for e in edges} - drawn):
        out.append(box(target, MISSING_STYLE, label(target, "missing node"), "missing"))
    for edge in edges:
        attrs = [f"label={label(edge.label)}"] if edge.label else []
        attrs += [edge.style] if edge.style else []
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        out.append(f"  {quote(edge.source)} -> {quote(edge.target)}{suffix};")
    out.append("}")
    return "\n".join(out) + "\n"
