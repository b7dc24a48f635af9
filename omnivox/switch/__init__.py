"""Switching channel and continuing: the IVR's "get a link by SMS and continue in chat".

* ``ivr.channel_switch`` (kind ``sms_link``) on the bus -> :meth:`SwitchService.on_bus` makes a
  resume token (only its hash is stored; it expires and opens one chat) and queues the text
  in the SMS outbox (``customers.models.SmsOutbox``), idempotent per call.
* :class:`OutboxWorker` sends queued texts through a pluggable :class:`SmsSender`; the default
  :class:`WebhookSender` POSTs JSON to ``OMNIVOX_SMS_WEBHOOK_URL`` with retries and backoff.
* ``GET /continue/{token}`` is the customer's chat page; ``POST /api/continuations/{token}``
  opens the chat: a chat interaction on the customer's timeline linked to the call's journey,
  routed to an agent as ``media: chat`` with ``continues: <call id>`` so the screen-pop shows
  the call's IVR path and collected data.
* The conversation (:class:`omnivox.switch.chat.ChatRoom`): every message is stored on the chat
  interaction with a ``seq``; the agent the chat was popped to (or a supervisor of their team)
  reads and replies at ``/desktop/chats/{chat_id}`` and hears the customer over the desktop
  socket; the customer follows replies and their place in the queue over server-sent events
  (``GET /api/continuations/{token}/events``); ending the chat closes its interaction and puts
  the agent in wrap-up.

Wiring (``omnivox.server``): build a :class:`SwitchService`, add ``service.on_bus`` to the bus,
``http.setup(app, service)``, run ``OutboxWorker.run()`` as a task when a webhook is set.
"""

from omnivox.switch.exceptions import SendError, SwitchError
from omnivox.switch.http import setup
from omnivox.switch.outbox import OutboxWorker
from omnivox.switch.service import SwitchService
from omnivox.switch.webhook import SmsSender, WebhookSender

__all__ = [
    "OutboxWorker",
    "SendError",
    "SmsSender",
    "SwitchError",
    "SwitchService",
    "WebhookSender",
    "setup",
]
