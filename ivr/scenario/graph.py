"""The scenario as a graph: which nodes each node can lead to, and its loops."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ivr.scenario import model as m
from ivr.scenario.source import Pos


@dataclass(frozen=True, slots=True)
class Edge:
    """A reference from ``source`` to node ``target`` (None: missing), named ``label``."""

    source: str
    label: str
    target: str | None
    pos: Pos
    required: bool = True


def edges(node: m.AnyNode, defaults: m.Defaults) -> Iterator[Edge]:
    """Every node ``node`` refers to, with the place in the file that names it."""
    nid = node.id
    match node:
        case m.Say() | m.SetData() | m.Gather():
            yield Edge(nid, "next", node.next, node.at("next"))
        case m.Goto():
            yield Edge(nid, "target", node.target, node.at("target"))
        case m.CallFlow():
            yield Edge(nid, "sub-flow", node.flow, node.at("flow"))
            yield Edge(nid, "next", node.next, node.at("next"))
        case m.Condition():
            for i, branch in enumerate(node.branches):
                yield Edge(nid, f"branch {i + 1} then", branch.then, branch.pos)
            yield Edge(nid, "else", node.otherwise, node.at("else"))
        case m.Menu():
            for option in node.options:
                if option.transfer is None:
                    pos = option.where.get("target", option.pos)
                    yield Edge(nid, f"option {option.key} target", option.target, pos)
        case m.ChannelSwitch():
            for choice in node.options:
                pos = choice.where.get("target", choice.pos)
                yield Edge(nid, f"option {choice.key} target", choice.target, pos)
    if isinstance(node, m.Interactive):
        for name in ("invalid", "no_input"):
            own: m.Handler | None = getattr(node, name)
            if own is not None and own.target is not None:
                yield Edge(nid, f"{name} target", own.target, node.at(f"{name}.target"))
            else:
                fallback: m.Handler = getattr(defaults, name)
                if fallback.target is not None:
                    yield Edge(nid, f"default {name} target", fallback.target, fallback.pos, False)


def successors(nodes: Mapping[str, m.AnyNode], defaults: m.Defaults) -> dict[str, list[str]]:
    """Node id -> ids of existing nodes it can lead to."""
    return {
        nid: [e.target for e in edges(node, defaults) if e.target in nodes]  # type: ignore[misc]
        for nid, node in nodes.items()
    }


def reachable(start: str, graph: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [start] if start in graph else []
    while stack:
        nid = stack.pop()
        if nid in seen:
            continue
        seen.add(nid)
        stack.extend(graph[nid])
    return seen


def cycles(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Strongly connected components that contain a cycle (Tarjan, iterative), in file order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            nid, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[nid] = min(low[nid], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[nid])
            if low[nid] == index[nid]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == nid:
                        break
                if len(component) > 1 or nid in graph[nid]:
                    order = list(graph)
                    out.append(sorted(component, key=order.index))
    return out
