"""AMIClient against the real Asterisk: call control round trips and surviving a restart."""

from __future__ import annotations

import asyncio

import pytest

from routing.ami import AMIActionError, AMIClient
from tests.fixtures.asterisk import AsteriskService

pytestmark = pytest.mark.asterisk


def client_for(asterisk: AsteriskService, **kwargs: object) -> AMIClient:
    return AMIClient(
        asterisk.ami_host,
        asterisk.ami_port,
        asterisk.ami_user,
        asterisk.ami_secret,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_globals_and_errors_round_trip(asterisk: AsteriskService) -> None:
    ami = client_for(asterisk)
    await ami.connect()
    try:
        assert await ami.getvar("OMNIVOX_DEFAULT_SCENARIO") == "telecom"
        await ami.setvar("OMNIVOX_AGI", "127.0.0.1:4999")  # no channel: a global (reset after)
        assert "127.0.0.1:4999" in asterisk.cli("dialplan show globals")
        with pytest.raises(AMIActionError, match="No such channel"):
            await ami.hangup("PJSIP/none-00000000")
        listing = await ami.action("CoreShowChannels")
        assert isinstance(listing, list) and listing[-1].event == "CoreShowChannelsComplete"
    finally:
        await ami.close()


async def test_client_reconnects_after_asterisk_restarts(asterisk: AsteriskService) -> None:
    ami = client_for(asterisk, reconnect_backoff=(0.1, 1.0))
    reconnected = asyncio.Event()
    ami.on_reconnect(reconnected.set)
    await ami.connect()
    try:
        booted_again = ami.expect("FullyBooted")
        await asyncio.to_thread(asterisk.restart)
        await asyncio.wait_for(reconnected.wait(), 30)
        await asyncio.wait_for(booted_again, 10)
        assert ami.connected and ami.reconnects == 1
        assert "Asterisk 22." in await ami.command("core show version")
    finally:
        await ami.close()
