"""Speech input: callers say what they want (Vosk over Asterisk's AudioSocket), keys still work.

Pure cores: :mod:`speech.text`, :mod:`speech.fuzzy`, :mod:`speech.intent_index`,
:mod:`speech.intents` (the scored matcher), :mod:`speech.grammar` (Vosk grammar word lists),
:mod:`speech.endpoint` (end-pointing in audio time), :mod:`speech.audiosocket_protocol`.
Adapters: :mod:`speech.recognizer` (Vosk, thread pool), :mod:`speech.audiosocket` (TCP server),
:mod:`speech.listen` (one stream: prompt, barge-in, keys, recognition), :mod:`speech.listener`
(the IVR's entry point). Test helpers: :mod:`speech.audiosocket_client` (the Asterisk side),
:mod:`speech.synthetic` (espeak-ng speech).

Wiring (composition root)::

    model = SpeechModel.load(settings.speech_model)     # SpeechModelError names the path
    pool = RecognizerPool(model, workers=2, max_sessions=50)
    server = AudioSocketServer("0.0.0.0", 9092)
    await server.start()
    listener = SpeechListener(server, pool, advertise="omnivox:9092")  # as Asterisk reaches it

At a speech-enabled step (the channel is already answered; AudioSocket needs an UP channel)::

    result = await listener.listen(
        channel, language="en", intents=step_intents,            # IntentSet
        prompt_audio=[sound_dir / "omnivox" / f"{name}.sln"],     # 8 kHz slin or 8 kHz .wav
        grammar=grammar_words(step_intents, "en", known=model.knows),  # None: full vocabulary
        timeout_ms=5000, max_digits=1,
    )
    # result.status: "speech" (intent, confidence, transcript), "no_match" (speech, no words),
    # "digits" (a key pressed: use result.digits like a menu key), "no_input", "unavailable"
    # (speech failed: fall back to keys). A hang-up raises AGIHangup.

On the wire the listener sends ``EXEC AudioSocket "<uuid4>,omnivox:9092"``; Asterisk runs
``AudioSocket(<uuid4>,omnivox:9092)``, connects, streams the caller's audio and keys; the
server plays the prompt into the socket, stops it when the caller speaks or presses a key,
and sends a hang-up frame and closes the socket when the caller is done, so the application
returns 0 and the reply ``200 result=0`` arrives; the AGI continues. The dialplan needs
nothing beyond ``AGI(agi://omnivox:4573/<scenario>)`` and the modules ``res_audiosocket``
and ``app_audiosocket`` (loaded by ``asterisk-config/etc/modules.conf``). Keep the AudioSocket
port reachable from Asterisk (Docker: publish it on the omnivox service).
"""
