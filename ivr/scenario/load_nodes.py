"""Parsing one node of each kind from positioned YAML."""

from __future__ import annotations

from collections.abc import Callable

from ivr.personalize import MODES, Policy
from ivr.scenario import model as m
from ivr.scenario.load_parts import Parts
from ivr.scenario.load_speech import parse_gather_speech, parse_speech
from ivr.scenario.node_keys import COMMON, INTRO_MODES, KEYS
from ivr.scenario.source import Pos, Y


def _off(value: object) -> object:
    """YAML 1.1 reads a bare ``off`` as false."""
    return "off" if value is False else value


class NodeParser:
    def __init__(self, parts: Parts) -> None:
        self.p = parts
        self.r = parts.reader

    def parse(self, node_id: str, y: Y) -> m.AnyNode | None:
        body = self.r.mapping(y, f"node {node_id!r}")
        if body is None:
            return None
        kind_y = self.r.require(body, "kind", f"node {node_id!r}", y.key_pos or y.pos)
        kind = self.r.text(kind_y, f"node {node_id!r} kind")
        if kind is None or kind_y is None:
            return None
        parse: Callable[[str, dict[str, Y], dict[str, Pos]], m.AnyNode | None] | None = getattr(
            self, f"_{kind}", None
        )
        if kind not in KEYS or parse is None:
            self.r.error(
                kind_y.pos,
                f"unknown node kind {kind!r} in node {node_id!r} "
                f"(expected: {', '.join(m.NODE_KINDS)})",
            )
            return None
        self.r.check_keys(body, COMMON + KEYS[kind], f"{kind} node {node_id!r}")
        where = {key: value.pos for key, value in body.items()}
        where["@key"] = y.key_pos or y.pos
        node = parse(node_id, body, where)
        return node

    # --- helpers -----------------------------------------------------------------------

    def _name(self, body: dict[str, Y], key: str, what: str) -> str | None:
        return self.r.text(body.get(key), what)

    def _interactive(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> dict:
        out: dict = {
            "retries": self.r.integer(body.get("retries"), f"node {node_id!r} retries", low=0),
            "timeout_ms": self.r.integer(
                body.get("timeout_ms"), f"node {node_id!r} timeout_ms", low=1
            ),
        }
        for name in ("invalid", "no_input"):
            handler, target_pos = self.p.handler(
                body.get(name), f"{node_id}.{name}", f"node {node_id!r} {name}"
            )
            out[name] = handler
            if target_pos:
                where[f"{name}.target"] = target_pos
        return out

    # --- node kinds ----------------------------------------------------------------------

    def _say(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.Say:
        prompt_y = self.r.require(body, "prompt", f"say node {node_id!r}", where["@key"])
        items = prompt_y.value if prompt_y is not None and prompt_y.is_seq else [prompt_y]
        prompts = [
            self.p.prompt(
                item,
                f"{node_id}.prompt.{i}" if len(items) > 1 else f"{node_id}.prompt",
                f"node {node_id!r} prompt",
            )
            for i, item in enumerate(items)
        ]
        interruptible = self.r.scalar(body.get("interruptible"), bool, "interruptible")
        return m.Say(
            id=node_id,
            pos=where["@key"],
            where=where,
            prompts=tuple(p for p in prompts if p is not None),
            next=self._name(body, "next", f"node {node_id!r} next"),
            interruptible=bool(interruptible),
        )

    def _menu(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.Menu:
        r = self.r
        options = []
        option_ys = r.sequence(
            r.require(body, "options", f"menu node {node_id!r}", where["@key"]), "menu options"
        )
        for i, item in enumerate(option_ys):
            option = self._menu_option(node_id, i, item)
            if option is not None:
                options.append(option)
        mode = _off(body["personalize"].value) if "personalize" in body else "off"
        if mode not in MODES:
            r.error(body["personalize"].pos, f"personalize must be one of {', '.join(MODES)}")
            mode = "off"
        policy_args: dict = {"mode": mode}
        max_promoted = r.integer(body.get("max_promoted"), "max_promoted", low=0)
        if max_promoted is not None:
            policy_args["max_promoted"] = max_promoted
        min_evidence = r.scalar(body.get("min_evidence"), float, "min_evidence")
        if min_evidence is not None:
            if min_evidence < 0:
                r.error(body["min_evidence"].pos, "min_evidence must be >= 0")
            else:
                policy_args["min_evidence"] = min_evidence
        half_life = r.scalar(body.get("half_life_days"), float, "half_life_days")
        if half_life is not None:
            if half_life <= 0:
                r.error(body["half_life_days"].pos, "half_life_days must be > 0")
            else:
                policy_args["half_life_days"] = half_life
        promote_fixed = r.scalar(body.get("promote_fixed_keys"), bool, "promote_fixed_keys")
        if promote_fixed is not None:
            policy_args["promote_fixed_keys"] = promote_fixed
        intro = r.scalar(body.get("intro"), str, "intro") or "always"
        if intro not in INTRO_MODES:
            r.error(body["intro"].pos, f"intro must be one of {', '.join(INTRO_MODES)}")
            intro = "always"
        return m.Menu(
            id=node_id,
            pos=where["@key"],
            where=where,
            intro=intro,
            prompt=self.p.prompt(body.get("prompt"), f"{node_id}.prompt", "menu prompt"),
            options=tuple(options),
            policy=Policy(**policy_args),
            min_confidence=r.scalar(body.get("min_confidence"), float, "min_confidence"),
            speech=parse_speech(self.p, body.get("speech"), node_id),
            **self._interactive(node_id, body, where),
        )

    def _menu_option(self, node_id: str, index: int, y: Y) -> m.MenuOption | None:
        r = self.r
        what = f"option {index + 1} of menu {node_id!r}"
        body = r.mapping(y, what)
        if body is None:
            return None
        r.check_keys(body, ("key", "label", "promoted_label", "intent", "target", "transfer"), what)
        key = r.text(r.require(body, "key", what, y.pos), f"{what} key")
        label = self.p.prompt(
            r.require(body, "label", what, y.pos), f"{node_id}.options.{key}.label", f"{what} label"
        )
        promoted_label = self.p.prompt(
            body.get("promoted_label"),
            f"{node_id}.options.{key}.promoted_label",
            f"{what} promoted_label",
        )
        transfer = None
        if "transfer" in body:
            spec = r.mapping(body["transfer"], f"{what} transfer")
            if spec is not None:
                r.check_keys(spec, KEYS["transfer"][:-1], f"{what} transfer")
                transfer = self.p.transfer(spec, f"{what} transfer", body["transfer"].pos)
        if "target" in body and "transfer" in body:
            r.error(body["transfer"].key_pos, f"{what} has both 'target' and 'transfer'")
        elif "target" not in body and "transfer" not in body:
            r.error(y.pos, f"{what} needs a 'target' node or a 'transfer'")
        if key is None or label is None:
            return None
        return m.MenuOption(
            key=key,
            label=label,
            promoted_label=promoted_label,
            intent=r.text(body.get("intent"), f"{what} intent"),
            target=r.text(body.get("target"), f"{what} target"),
            transfer=transfer,
            pos=y.pos,
            where={k: v.pos for k, v in body.items()},
        )

    def _gather(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.Gather | None:
        r = self.r
        what = f"gather node {node_id!r}"
        field = r.text(r.require(body, "field", what, where["@key"]), f"{what} field")
        prompt = self.p.prompt(
            r.require(body, "prompt", what, where["@key"]), f"{node_id}.prompt", f"{what} prompt"
        )
        length = r.integer(body.get("length"), f"{what} length", low=1)
        min_digits = r.integer(body.get("min_digits"), f"{what} min_digits", low=1)
        max_digits = r.integer(body.get("max_digits"), f"{what} max_digits", low=1)
        min_digits = length or min_digits or 1
        max_digits = length or max_digits or max(20, min_digits)
        if min_digits > max_digits:
            r.error(
                where.get("min_digits", where["@key"]),
                f"{what}: min_digits {min_digits} > max_digits {max_digits}",
            )
        terminator: str | None = "#"
        if "terminator" in body:
            terminator = body["terminator"].value
            if terminator is not None and (
                not isinstance(terminator, str) or terminator not in ("#", "*")
            ):
                r.error(body["terminator"].pos, f"{what} terminator must be '#', '*' or null")
                terminator = "#"
        prefill = _off(body["prefill"].value) if "prefill" in body else "off"
        if prefill not in ("confirm", "skip", "off"):
            r.error(body["prefill"].pos, f"{what} prefill must be confirm, skip or off")
            prefill = "off"
        confirm = self.p.prompt(
            body.get("confirm_prompt"), f"{node_id}.confirm_prompt", f"{what} confirm_prompt"
        )
        if prefill == "confirm" and confirm is None:
            r.error(body["prefill"].pos, f"{what}: prefill confirm needs a confirm_prompt")
        if field is None or prompt is None:
            return None
        return m.Gather(
            id=node_id,
            pos=where["@key"],
            where=where,
            field=field,
            prompt=prompt,
            next=self._name(body, "next", f"{what} next"),
            min_digits=min_digits,
            max_digits=max_digits,
            terminator=terminator,
            pattern=r.text(body.get("pattern"), f"{what} pattern"),
            prefill=prefill,
            confirm_prompt=confirm,
            yes_key=r.text(body.get("yes_key"), "yes_key") or "1",
            no_key=r.text(body.get("no_key"), "no_key") or "2",
            speech=parse_gather_speech(self.p, body.get("speech"), node_id),
            **self._interactive(node_id, body, where),
        )

    def _condition(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.Condition:
        r = self.r
        what = f"condition node {node_id!r}"
        branches: list[m.Branch] = []
        raw: list[tuple[Y | None, Y | None, Pos]] = []
        if "if" in body:
            raw.append((body["if"], body.get("then"), body["if"].pos))
            if "then" not in body:
                r.error(body["if"].key_pos, f"{what}: 'if' needs a 'then'")
        for item in r.sequence(body.get("when"), f"{what} when"):
            branch = r.mapping(item, f"{what} when item")
            if branch is not None:
                r.check_keys(branch, ("if", "then"), f"{what} when item")
                raw.append((branch.get("if"), branch.get("then"), item.pos))
                for key in ("if", "then"):
                    if key not in branch:
                        r.error(item.pos, f"{what} when item needs {key!r}")
        if not raw:
            r.error(where["@key"], f"{what} needs 'if'/'then' or a 'when' list")
        for test_y, then_y, _pos in raw:
            test = self.p.test(test_y, f"{what} if")
            then = r.text(then_y, f"{what} then")
            if test is not None and then is not None and then_y is not None:
                branches.append(m.Branch(test, then, then_y.pos))
        if "else" not in body:
            r.error(where["@key"], f"{what} needs an 'else' target")
        return m.Condition(
            id=node_id,
            pos=where["@key"],
            where=where,
            branches=tuple(branches),
            otherwise=r.text(body.get("else"), f"{what} else"),
        )

    def _set(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.SetData:
        r = self.r
        data: dict[str, str] = {}
        for key, value in (r.mapping(body.get("data"), f"set node {node_id!r} data") or {}).items():
            text = r.scalar(value, str, f"set node {node_id!r} data {key!r}")
            if isinstance(value.value, bool):
                text = str(value.value).lower()
            if text is not None:
                data[key] = text
                where[f"data.{key}"] = value.key_pos or value.pos
        return m.SetData(
            id=node_id,
            pos=where["@key"],
            where=where,
            data=data,
            intent=r.text(body.get("intent"), "intent"),
            language=r.text(body.get("language"), "language"),
            next=self._name(body, "next", f"set node {node_id!r} next"),
        )

    def _transfer(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.Transfer:
        spec = self.p.transfer(body, f"transfer node {node_id!r}", where["@key"])
        return m.Transfer(
            id=node_id,
            pos=where["@key"],
            where=where,
            spec=spec or m.TransferSpec(service=""),
            prompt=self.p.prompt(body.get("prompt"), f"{node_id}.prompt", "transfer prompt"),
        )

    def _channel_switch(
        self, node_id: str, body: dict[str, Y], where: dict[str, Pos]
    ) -> m.ChannelSwitch | None:
        r = self.r
        what = f"channel_switch node {node_id!r}"
        options: list[m.SwitchOption] = []
        for i, item in enumerate(
            r.sequence(r.require(body, "options", what, where["@key"]), f"{what} options")
        ):
            opt_what = f"option {i + 1} of {what}"
            opt = r.mapping(item, opt_what)
            if opt is None:
                continue
            r.check_keys(opt, ("key", "choice", "target"), opt_what)
            key = r.text(r.require(opt, "key", opt_what, item.pos), f"{opt_what} key")
            choice = r.text(r.require(opt, "choice", opt_what, item.pos), f"{opt_what} choice")
            target = r.text(r.require(opt, "target", opt_what, item.pos), f"{opt_what} target")
            if key is not None and choice is not None:
                where_opt = {k: v.pos for k, v in opt.items()}
                options.append(m.SwitchOption(key, choice, target, item.pos, where_opt))
        prompt = self.p.prompt(
            r.require(body, "prompt", what, where["@key"]), f"{node_id}.prompt", f"{what} prompt"
        )
        if prompt is None:
            return None
        return m.ChannelSwitch(
            id=node_id,
            pos=where["@key"],
            where=where,
            prompt=prompt,
            options=tuple(options),
            speech=parse_speech(self.p, body.get("speech"), node_id, "channel_switch"),
            **self._interactive(node_id, body, where),
        )

    def _hangup(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.Hangup:
        return m.Hangup(
            id=node_id,
            pos=where["@key"],
            where=where,
            prompt=self.p.prompt(body.get("prompt"), f"{node_id}.prompt", "hangup prompt"),
            reason=self.r.text(body.get("reason"), "hangup reason") or "completed",
        )

    def _goto(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.Goto:
        self.r.require(body, "target", f"goto node {node_id!r}", where["@key"])
        target = self._name(body, "target", f"goto node {node_id!r} target")
        return m.Goto(id=node_id, pos=where["@key"], where=where, target=target)

    def _call(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.CallFlow:
        what = f"call node {node_id!r}"
        for key in ("flow", "next"):
            self.r.require(body, key, what, where["@key"])
        return m.CallFlow(
            id=node_id,
            pos=where["@key"],
            where=where,
            flow=self._name(body, "flow", f"{what} flow"),
            next=self._name(body, "next", f"{what} next"),
        )

    def _return(self, node_id: str, body: dict[str, Y], where: dict[str, Pos]) -> m.Return:
        return m.Return(id=node_id, pos=where["@key"], where=where)
