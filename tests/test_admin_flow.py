"""The scenario -> DOT step of the admin flow diagrams (pure), over both shipped scenarios and
small files; checked against the validator's own view of the graph (``ivr.scenario.graph``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.scenario import load_valid
from ivr.scenario import model as m
from ivr.scenario.graph import edges as validator_edges
from ivr.scenario.loader import read_scenario
from omnivox.admin.flow import ENTRY, describe, flow_dot, label, option_node, quote
from tests.scenario_helpers import BASE, write

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["telecom", "bank_card"]
_Q = r'"((?:[^"\\]|\\.)*)"'
NODE = re.compile(rf"^  {_Q} \[(.*)\];$")
EDGE = re.compile(rf"^  {_Q} -> {_Q}(?: \[(.*)\])?;$")
ATTR = re.compile(rf"(\w+)=({_Q}|[^,\s]+)")


def unquote(text: str) -> str:
    """A DOT escString as Graphviz reads it (``\\n`` is a line break)."""
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], text)


def attrs(raw: str | None) -> dict[str, str]:
    out = {}
    for name, value, inner in ATTR.findall(raw or ""):
        out[name] = unquote(inner) if value.startswith('"') else value
    return out


def parse(dot: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict[str, str]]]]:
    """Nodes (id -> attributes) and edges (source, target, attributes) of flow_dot's output;
    every line of the body must be one of the two (or a graph default)."""
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    lines = dot.splitlines()
    assert lines[0].startswith("digraph ") and lines[-1] == "}"
    for line in lines[1:-1]:
        if edge := EDGE.match(line):
            edges.append((unquote(edge[1]), unquote(edge[2]), attrs(edge[3])))
        elif node := NODE.match(line):
            nodes[unquote(node[1])] = attrs(node[2])
        else:
            assert re.match(r"^  (graph|node|edge) \[", line), line
    return nodes, edges


@pytest.mark.parametrize("name", SHIPPED)
def test_every_node_is_drawn_with_its_kind_and_every_reference_is_an_edge(name: str) -> None:
    scenario = load_valid(ROOT / "scenarios" / f"{name}.yaml")
    nodes, edges = parse(flow_dot(scenario))
    for nid, node in scenario.nodes.items():
        assert nodes[nid]["class"] == f"kind-{node.kind}"
        assert nodes[nid]["label"].split("\n")[0] == nid[:39] or len(nid) > 39
        assert nodes[nid]["id"] == f"flow-{name}-{nid}"
    pairs = {(s, t) for s, t, _ in edges}
    assert (ENTRY, scenario.entry) in pairs
    # every place the validator follows (targets, branches, handlers) is an arrow, and
    # nothing is drawn that the validator does not know of
    expected = {
        (e.source, e.target)
        for node in scenario.nodes.values()
        for e in validator_edges(node, scenario.defaults)
        if e.target is not None
    }
    transfers = {
        (nid, option_node(nid, o.key))
        for nid, node in scenario.nodes.items()
        if isinstance(node, m.Menu)
        for o in node.options
        if o.transfer is not None
    }
    assert pairs - {(ENTRY, scenario.entry)} == expected | transfers
    assert not [n for n, a in nodes.items() if a["class"] == "missing"]


@pytest.mark.parametrize("name", SHIPPED)
def test_menu_edges_carry_the_key_and_intent_and_conditions_their_test(name: str) -> None:
    scenario = load_valid(ROOT / "scenarios" / f"{name}.yaml")
    _, edges = parse(flow_dot(scenario))
    labels: dict[tuple[str, str], list[str]] = {}
    for source, target, a in edges:  # two arrows may join the same nodes (a key, a handler)
        labels.setdefault((source, target), []).append(a.get("label", ""))
    menus = [n for n in scenario.nodes.values() if isinstance(n, m.Menu)]
    assert menus
    for menu in menus:
        for option in menu.options:
            target = option_node(menu.id, option.key) if option.transfer else option.target
            wanted = f"{option.key} {option.intent}" if option.intent else option.key
            assert wanted in labels[(menu.id, str(target))]
    for node in scenario.nodes.values():
        if isinstance(node, m.Condition) and node.otherwise:
            assert "else" in labels[(node.id, node.otherwise)]


def test_telecom_reads_as_its_call_flow() -> None:
    """Spot checks by hand against scenarios/telecom.yaml."""
    nodes, edges = parse(flow_dot(load_valid(ROOT / "scenarios" / "telecom.yaml")))
    labels = {(s, t): a.get("label") for s, t, a in edges}
    assert labels[("start", "vip_welcome")] == "vip"
    assert labels[("start", "welcome")] == "else"
    assert labels[("check_hours", "main_menu")] == "hours support"
    assert labels[("main_menu", "billing")] == "6 billing"
    assert labels[("main_menu", "main_menu/3")] == "3 sales"
    assert nodes["main_menu/3"]["label"] == "transfer → sales"
    assert labels[("billing", "identify")] == "sub-flow"  # a call node's sub-flow is dashed
    assert labels[("main_menu", "agent_fallback")] == "invalid / no input"
    assert nodes["identify"]["label"] == "identify\ngather account_number"
    assert nodes["main_menu"]["shape"] == "box" and nodes["start"]["shape"] == "diamond"


def test_bank_card_reads_as_its_call_flow() -> None:
    nodes, edges = parse(flow_dot(load_valid(ROOT / "scenarios" / "bank_card.yaml")))
    labels = {(s, t): a.get("label") for s, t, a in edges}
    assert nodes["which_card"]["label"] == "which_card\ngather card_last4"
    assert nodes["lost_card_queue"]["label"] == "lost_card_queue\ntransfer → card_security"
    assert labels[("lost_card", "which_card")] == "sub-flow"
    assert labels[("lost_card", "lost_card_queue")] == "after return"
    assert nodes["balance_offer"]["class"] == "kind-channel_switch"


def test_a_broken_file_is_drawn_with_its_missing_targets(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("next: bye", "next: byee"))
    scenario, problems = read_scenario(path)
    assert scenario is not None
    nodes, edges = parse(flow_dot(scenario))
    assert nodes["byee"]["class"] == "missing"
    assert nodes["byee"]["label"] == "byee\nmissing node"
    assert ("hello", "byee", {}) in edges


def test_text_from_the_file_cannot_break_out_of_its_quotes(tmp_path: Path) -> None:
    odd = 'he"llo\\x'  # a node id with a quote and a backslash
    text = BASE.replace("entry: hello", "entry: 'he\"llo\\x'").replace(
        "  hello:", "  'he\"llo\\x':"
    )
    scenario, _ = read_scenario(write(tmp_path, text))
    assert scenario is not None and odd in scenario.nodes
    nodes, edges = parse(flow_dot(scenario))
    assert nodes[odd]["label"] == odd + "\nsay"
    assert (ENTRY, odd, {}) in edges and (odd, "bye", {}) in edges
    assert quote('a"b\\c\nd') == '"a\\"b\\\\c d"'
    assert label("x" * 50) == '"' + "x" * 39 + '…"'


def test_conditions_in_words() -> None:
    from ivr.scenario import conditions as c

    test = c.All(
        (
            c.Not(c.Vip(True)),
            c.Any_((c.Segment(("gold", "platinum")), c.Value("field", "pin", present=True))),
        )
    )
    assert describe(test) == "not (vip) and segment gold/platinum or pin present"
    assert describe(c.Value("attribute", "plan", equals=("fiber",))) == "attribute plan = fiber"


def test_the_same_scenario_gives_the_same_text() -> None:
    path = ROOT / "scenarios" / "telecom.yaml"
    assert flow_dot(load_valid(path)) == flow_dot(load_valid(path))
