"""The default SMS sender: POST the message as JSON to a configured URL (an SMS gateway's
HTTP API, or a small relay in front of one). 2xx is sent; 5xx, 429 and network errors are
retried by the outbox; other 4xx fail for good."""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp

from omnivox.switch.exceptions import SendError


class SmsSender(Protocol):
    """What the outbox needs: send one message or raise :class:`SendError`."""

    async def send(self, message: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


class WebhookSender:
    """``{"id", "key", "to", "body"}`` to ``url``; ``Idempotency-Key`` is the message's key,
    so a gateway can drop the duplicate of a retry whose reply was lost."""

    def __init__(
        self, url: str, *, timeout_s: float = 10.0, headers: dict[str, str] | None = None
    ) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._headers = dict(headers or {})
        self._session: aiohttp.ClientSession | None = None

    async def send(self, message: dict[str, Any]) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = self._headers | {"Idempotency-Key": str(message["key"])}
        try:
            async with self._session.post(self.url, json=message, headers=headers) as reply:
                if 200 <= reply.status < 300:
                    return
                text = (await reply.text())[:200]
                retry = reply.status >= 500 or reply.status in (408, 429)
                raise SendError(f"HTTP {reply.status} from the webhook: {text}", retry=retry)
        except (TimeoutError, aiohttp.ClientError) as exc:
            reason = str(exc) or type(exc).__name__
            raise SendError(f"webhook {self.url}: {reason}", retry=True) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
