"""Errors of the AMI client: one class per way a manager link can fail."""

from __future__ import annotations

from routing.ami.protocol import AMIMessage


class AMIError(Exception):
    """Base of every AMI error."""


class AMIUnavailable(AMIError):
    """No usable connection: refused, lost, closed, or not (yet) reconnected."""


class AMIAuthError(AMIError):
    """Asterisk refused the username/secret (manager.conf) at login."""


class AMITimeout(AMIError):
    """An action got no (complete) response in time."""


class AMIProtocolError(AMIError):
    """The peer sent something that is not the Asterisk Manager Interface."""


class AMIActionError(AMIError):
    """Asterisk answered ``Response: Error`` to an action; ``response`` holds the whole reply."""

    def __init__(self, action: str, response: AMIMessage) -> None:
        self.action = action
        self.response = response
        super().__init__(f"AMI action {action} failed: {response.get('Message', 'no message')}")
