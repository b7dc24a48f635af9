"""AMIClient against a fake Asterisk Manager on a real socket."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest

from routing.ami import (
    AMIActionError,
    AMIAuthError,
    AMIClient,
    AMIMessage,
    AMIProtocolError,
    AMITimeout,
    AMIUnavailable,
)
from routing.ami.fake_server import FakeAMIServer


@pytest.fixture
async def fake() -> AsyncIterator[FakeAMIServer]:
    server = FakeAMIServer("omnivox", "right-secret")
    await server.start()
    yield server
    await server.stop()


def make_client(server: FakeAMIServer, secret: str = "right-secret", **kwargs: object) -> AMIClient:
    options: dict[str, object] = {"action_timeout": 1.0, "reconnect_backoff": (0.05, 0.2)}
    options.update(kwargs)
    return AMIClient("127.0.0.1", server.port, "omnivox", secret, **options)  # type: ignore[arg-type]


@pytest.fixture
async def client(fake: FakeAMIServer) -> AsyncIterator[AMIClient]:
    ami = make_client(fake)
    await ami.connect()
    yield ami
    await ami.close()


async def test_login_and_ping(fake: FakeAMIServer, client: AMIClient) -> None:
    assert client.connected
    assert client.version == "9.0.0"
    assert await client.ping() < 1.0
    login = fake.received[0]
    assert (login["Action"], login["Username"], login["Secret"]) == (
        "Login",
        "omnivox",
        "right-secret",
    )


async def test_wrong_secret_raises_auth_error(fake: FakeAMIServer) -> None:
    ami = make_client(fake, secret="wrong")
    with pytest.raises(AMIAuthError, match=r"login as 'omnivox' .* failed: Authentication failed"):
        await ami.connect()
    assert not ami.connected
    assert fake.failed_logins == 1
    with pytest.raises(AMIUnavailable):
        await ami.ping()
    await ami.close()


async def test_refused_connection_raises_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ami = AMIClient("127.0.0.1", port, "omnivox", "x")
    with pytest.raises(AMIUnavailable, match=f"127.0.0.1:{port}"):
        await ami.connect()


async def test_a_server_that_is_not_ami_is_refused() -> None:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(AMIProtocolError, match="not an Asterisk Manager"):
            await AMIClient("127.0.0.1", port, "omnivox", "x", connect_timeout=2).connect()
    finally:
        server.close()
        await server.wait_closed()


async def test_action_without_response_times_out_and_link_stays(
    fake: FakeAMIServer, client: AMIClient
) -> None:
    fake.silent.add("getvar")
    client.action_timeout = 0.2
    with pytest.raises(AMITimeout, match="Getvar got no response within 0.2 s"):
        await client.getvar("X")
    assert client.connected
    assert await client.ping() < 1.0


async def test_error_response_raises_action_error(client: AMIClient) -> None:
    with pytest.raises(AMIActionError, match="Invalid/unknown command") as caught:
        await client.action("NoSuchAction")
    assert caught.value.response.response == "Error"


async def test_raising_handlers_keep_the_connection(
    fake: FakeAMIServer, client: AMIClient, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def sync_handler(event: AMIMessage) -> None:
        seen.append("sync " + event["Seq"])
        if event["Seq"] == "1":
            raise RuntimeError("sync handler bug")

    async def async_handler(event: AMIMessage) -> None:
        seen.append("async " + event["Seq"])
        if event["Seq"] == "1":
            raise RuntimeError("async handler bug")

    client.on_event("UserEvent", sync_handler)
    client.on_event("userevent", async_handler)
    second = client.expect("UserEvent", lambda e: e["Seq"] == "2")
    with caplog.at_level(logging.ERROR, logger="routing.ami"):
        await fake.emit("UserEvent", Seq="1")
        await fake.emit("UserEvent", Seq="2")
        await asyncio.wait_for(second, 5)
        await client.ping()  # the async worker has had its turns by now
    assert seen[:1] == ["sync 1"] and "sync 2" in seen
    assert "async 1" in seen
    assert client.connected and fake.logins == 1
    assert any("sync handler bug" in r.exc_text for r in caplog.records if r.exc_text)
    assert any("async handler bug" in r.exc_text for r in caplog.records if r.exc_text)


async def test_async_handler_sees_events_in_order(fake: FakeAMIServer, client: AMIClient) -> None:
    order: list[int] = []
    done = asyncio.get_running_loop().create_future()

    async def slow(event: AMIMessage) -> None:
        await asyncio.sleep(0.01 if int(event["Seq"]) % 2 else 0)
        order.append(int(event["Seq"]))
        if len(order) == 10:
            done.set_result(None)

    client.on_event("Tick", slow)
    for seq in range(10):
        await fake.emit("Tick", Seq=str(seq))
    await asyncio.wait_for(done, 5)
    assert order == list(range(10))


async def test_reconnects_after_server_closes_and_keeps_subscriptions(
    fake: FakeAMIServer, client: AMIClient
) -> None:
    reconnected = asyncio.Event()
    client.on_reconnect(reconnected.set)
    got = client.expect("UserEvent", lambda e: e.get("After") == "reconnect")
    await fake.drop_clients()
    await asyncio.wait_for(fake.wait_logins(2), 5)
    await asyncio.wait_for(reconnected.wait(), 5)
    assert client.connected and client.reconnects == 1
    await fake.emit("UserEvent", After="reconnect")
    assert (await asyncio.wait_for(got, 5))["After"] == "reconnect"


async def test_actions_fail_fast_while_disconnected(fake: FakeAMIServer) -> None:
    ami = make_client(fake, reconnect_backoff=(5.0, 5.0))
    await ami.connect()
    fake.silent.add("getvar")
    pending = asyncio.create_task(ami.getvar("X"))
    await asyncio.sleep(0)  # let the action reach the socket
    await fake.drop_clients()
    with pytest.raises(AMIUnavailable, match="lost before the response to Getvar"):
        await asyncio.wait_for(pending, 5)
    with pytest.raises(AMIUnavailable, match="reconnecting"):
        await ami.ping()
    await ami.close()
    with pytest.raises(AMIUnavailable, match="closed"):
        await ami.ping()


async def test_keepalive_drops_a_silent_link_and_reconnects(fake: FakeAMIServer) -> None:
    ami = make_client(fake, ping_interval=0.05, action_timeout=0.2)
    reconnected = asyncio.Event()
    ami.on_reconnect(reconnected.set)
    await ami.connect()
    fake.silent.add("ping")
    await asyncio.wait_for(fake.wait_logins(2), 5)
    fake.silent.clear()
    await asyncio.wait_for(reconnected.wait(), 5)
    assert await ami.ping() < 1.0
    await ami.close()


async def test_event_list_actions_return_every_message(
    fake: FakeAMIServer, client: AMIClient
) -> None:
    def status(_request: AMIMessage) -> list[dict[str, str]]:
        return [
            {"Response": "Success", "EventList": "start", "Message": "Channel status will follow"},
            {"Event": "Status", "Channel": "PJSIP/1001-00000001"},
            {"Event": "Status", "Channel": "PJSIP/1002-00000002"},
            {"Event": "StatusComplete", "EventList": "Complete", "ListItems": "2"},
        ]

    fake.respond("Status", status)
    result = await client.action("Status")
    assert isinstance(result, list)
    assert [m.event or m.response for m in result] == [
        "Success",
        "Status",
        "Status",
        "StatusComplete",
    ]
    assert result[2]["Channel"] == "PJSIP/1002-00000002"


async def test_call_control_fields(fake: FakeAMIServer, client: AMIClient) -> None:
    fake.respond("Originate", lambda _r: [{"Response": "Success", "Message": "Queued"}])
    fake.respond("Getvar", lambda r: [{"Response": "Success", "Value": "v-" + r["Variable"]}])
    fake.respond("Setvar", lambda _r: [{"Response": "Success"}])
    reply = await client.originate(
        "Local/s@omnivox-ivr",
        context="caller-sim",
        exten="s",
        caller_id='"Ann" <100>',
        variables={"__OMNIVOX_SCENARIO": "telecom", "SIM_SCRIPT": 'w:1^d:1,2"\\'},
    )
    assert reply["Message"] == "Queued"
    originate = fake.received[-1]
    assert originate.getall("Variable") == [
        "__OMNIVOX_SCENARIO=telecom",
        'SIM_SCRIPT=w:1^d:1\\,2\\"\\\\',
    ]
    assert (originate["Async"], originate["Timeout"], originate["CallerID"]) == (
        "true",
        "30000",
        '"Ann" <100>',
    )
    assert "ChannelId" not in originate
    assert await client.getvar("OMNIVOX_AGI") == "v-OMNIVOX_AGI"
    await client.setvar("OMNIVOX_AGI", "127.0.0.1:4999")
    assert "Channel" not in fake.received[-1]
    with pytest.raises(ValueError, match="line break"):
        await client.setvar("X", "a\r\nAction: Hangup")
