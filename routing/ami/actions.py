"""Typed call-control actions over any client that can send an AMI action."""

from __future__ import annotations

import time
from collections.abc import Mapping

from routing.ami.protocol import AMIMessage, FieldValue

ActionResult = AMIMessage | list[AMIMessage]


def originate_variables(variables: Mapping[str, object]) -> list[str]:
    """``Variable`` lines for Originate. Asterisk splits each line at commas and strips
    quotes and backslashes (ast_app_separate_args), so those are escaped with a backslash."""
    lines = []
    for name, value in variables.items():
        if not name or any(c in name for c in '=,"\\ \r\n'):
            raise ValueError(f"channel variable name {name!r} is not usable in Originate")
        text = str(value)
        for char in ("\\", ",", '"'):
            text = text.replace(char, "\\" + char)
        lines.append(f"{name}={text}")
    return lines


class CallControl:
    """Originate, Redirect, Setvar/Getvar, Hangup, Ping, Command on top of :meth:`send`."""

    async def send(
        self,
        name: str,
        fields: Mapping[str, FieldValue],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the action's deadline, then AMITimeout
    ) -> ActionResult:
        raise NotImplementedError

    async def originate(
        self,
        channel: str,
        *,
        context: str,
        exten: str,
        priority: int = 1,
        caller_id: str | None = None,
        variables: Mapping[str, object] | None = None,
        timeout_ms: int = 30000,
        channel_id: str | None = None,
        async_: bool = True,
    ) -> AMIMessage:
        """Dial ``channel``; when it answers it runs ``context,exten,priority``.

        With ``async_`` the response only says the originate was queued; the outcome comes as
        an ``OriginateResponse`` event. ``channel_id`` sets the new channel's Uniqueid.
        """
        fields: dict[str, FieldValue] = {
            "Channel": channel,
            "Context": context,
            "Exten": exten,
            "Priority": priority,
            "Timeout": timeout_ms,
            "CallerID": caller_id,
            "ChannelId": channel_id,
            "Async": async_,
            "Variable": originate_variables(variables or {}),
        }
        # A synchronous originate answers only after the call is answered or fails.
        wait = None if async_ else timeout_ms / 1000 + 5
        return _single(await self.send("Originate", fields, timeout=wait))

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> None:
        """Move ``channel`` to another place in the dialplan (e.g. from hold to connect)."""
        fields = {"Channel": channel, "Context": context, "Exten": exten, "Priority": priority}
        await self.send("Redirect", fields)

    async def setvar(self, name: str, value: object, channel: str | None = None) -> None:
        """Set a channel variable, or a global one when ``channel`` is None."""
        await self.send("Setvar", {"Channel": channel, "Variable": name, "Value": str(value)})

    async def getvar(self, name: str, channel: str | None = None) -> str:
        """A channel (or global) variable's value; "" when unset."""
        reply = _single(await self.send("Getvar", {"Channel": channel, "Variable": name}))
        return reply.get_ci("Value")

    async def hangup(self, channel: str, cause: int | None = None) -> None:
        await self.send("Hangup", {"Channel": channel, "Cause": cause})

    async def ping(self) -> float:
        """Round trip of a ``Ping`` action, in seconds."""
        started = time.perf_counter()
        await self.send("Ping", {})
        return time.perf_counter() - started

    async def command(self, cli: str) -> str:
        """Run a CLI command; its output text."""
        reply = _single(await self.send("Command", {"Command": cli}))
        return "\n".join(reply.getall("Output") or reply.getall(""))


def _single(result: ActionResult) -> AMIMessage:
    return result[0] if isinstance(result, list) else result
