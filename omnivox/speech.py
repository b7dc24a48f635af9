"""Speech wiring: the Vosk model, the recognizer pool and the AudioSocket server, when a model
is configured. Without ``speech_model`` the IVR asks with keys only (one log line says so)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from ivr.call.speech import SpeechInput
from ivr.prompts import PromptRenderer
from omnivox.config import Settings
from omnivox.errors import StartupError
from speech.audiosocket import AudioSocketServer, AudioSocketStartupError
from speech.exceptions import SpeechModelError
from speech.listener import SpeechListener
from speech.recognizer import RecognizerPool, SpeechModel


@dataclass
class SpeechService:
    """The running speech parts; :attr:`input` goes to the IVR handler."""

    model: SpeechModel
    pool: RecognizerPool
    server: AudioSocketServer
    listener: SpeechListener
    input: SpeechInput

    async def close(self) -> None:
        await self.server.close()
        self.pool.close()


async def start_speech(
    settings: Settings, renderer: PromptRenderer, log: logging.Logger
) -> SpeechService | None:
    """Load the model and start the AudioSocket server; StartupError names what is wrong."""
    if settings.speech_model is None:
        log.info("speech recognition disabled (no speech_model configured): callers use keys")
        return None
    try:
        model = await asyncio.to_thread(SpeechModel.load, settings.speech_model)
    except SpeechModelError as exc:
        raise StartupError(f"speech_model: {exc}") from None
    pool = RecognizerPool(model, workers=settings.speech_workers)
    bind = settings.audiosocket_bind
    server = AudioSocketServer(bind.host, bind.port, logger=log)
    try:
        await server.start()
        listener = SpeechListener(server, pool, advertise=settings.audiosocket_advertise)
    except AudioSocketStartupError as exc:
        pool.close()
        raise StartupError(str(exc)) from None
    except ValueError as exc:  # a wildcard bind and nothing to advertise
        await server.close()
        pool.close()
        raise StartupError(f"audiosocket_advertise: {exc}") from None
    log.info(
        "speech recognition on: model %s loaded in %.1f s, %d worker(s); Asterisk streams "
        "audio to %s",
        model.path,
        model.load_seconds,
        settings.speech_workers,
        listener.advertise,
    )
    speech_input = SpeechInput(listener, renderer, known=model.knows, logger=log)
    return SpeechService(model, pool, server, listener, speech_input)
