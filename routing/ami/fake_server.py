"""A stand-in Asterisk Manager on a real socket, for tests and simulation.

It speaks the real framing (banner, ``Key: value`` messages, blank-line ends), checks the
login like Asterisk (an error, then the socket closes), answers Ping and Logoff, and replies
``Response: Error`` to actions it does not know unless a responder was registered.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping

from routing.ami.protocol import AMIMessage, MessageAssembler, decode_line, encode_message

Reply = Mapping[str, str]
Responder = Callable[[AMIMessage], Iterable[Reply]]


class FakeAMIServer:
    """Listen on ``host`` (port 0: any free one); ``port`` is known after :meth:`start`."""

    def __init__(
        self, username: str = "omnivox", secret: str = "secret", *, host: str = "127.0.0.1"
    ) -> None:
        self.username = username
        self.secret = secret
        self.host = host
        self.port = 0
        self.responders: dict[str, Responder] = {}
        self.silent: set[str] = set()  # actions (lower case) never answered
        self.received: list[AMIMessage] = []
        self.logins = 0
        self.failed_logins = 0
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()
        self._changed = asyncio.Condition()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        await self.drop_clients()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def respond(self, action: str, responder: Responder) -> None:
        """Answer ``action`` with the messages ``responder(request)`` yields (ActionID added)."""
        self.responders[action.lower()] = responder

    async def emit(self, event: str, **fields: str) -> int:
        """Send an event to every logged-in client; how many got it."""
        data = encode_message([("Event", event), *fields.items()])
        for writer in list(self._clients):
            writer.write(data)
            with contextlib.suppress(OSError):
                await writer.drain()
        return len(self._clients)

    async def drop_clients(self) -> None:
        """Close every client socket, as an Asterisk restart does."""
        for writer in list(self._clients):
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        self._clients.clear()

    async def wait_logins(self, count: int) -> None:
        """Until ``count`` successful logins happened in total."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.logins >= count)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        assembler = MessageAssembler()
        try:
            while raw := await reader.readline():
                request = assembler.push(decode_line(raw))
                if request is not None:
                    self.received.append(request)
                    if not await self._answer(request, writer):
                        break
        except (OSError, ValueError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _answer(self, request: AMIMessage, writer: asyncio.StreamWriter) -> bool:
        """Reply to one request; False when the connection must close."""
        action = request.get_ci("Action").lower()
        action_id = request.action_id
        keep_open = True
        if action in self.silent:
            return True
        if action == "login":
            ok = (request.get_ci("Username"), request.get_ci("Secret")) == (
                self.username,
                self.secret,
            )
            message = "Authentication accepted" if ok else "Authentication failed"
            replies: list[Reply] = [{"Response": "Success" if ok else "Error", "Message": message}]
            keep_open = ok
        elif action in self.responders:
            replies = list(self.responders[action](request))
        elif action == "ping":
            replies = [{"Response": "Success", "Ping": "Pong"}]
        elif action == "logoff":
            replies = [{"Response": "Goodbye", "Message": "Thanks for all the fish."}]
            keep_open = False
        else:
            replies = [{"Response": "Error", "Message": "Invalid/unknown command"}]
        for reply in replies:
            fields = list(reply.items())
            fields.insert(1 if "Response" in reply else len(fields), ("ActionID", action_id))
            writer.write(encode_message(fields))
        if action == "login" and keep_open:
            writer.write(encode_message([("Event", "FullyBooted"), ("Status", "Fully Booted")]))
        await writer.drain()
        if action == "login":
            async with self._changed:
                if keep_open:
                    self.logins += 1
                    self._clients.add(writer)
                else:
                    self.failed_logins += 1
                self._changed.notify_all()
        return keep_open
