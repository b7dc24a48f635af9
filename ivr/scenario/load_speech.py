"""Parsing ``speech`` blocks: a menu's intents (or a channel switch's choices) in words per
language, a gather's spoken digits and yes/no, and how to listen.

speech:
  grammar: true            # recognise only these words (Vosk grammar mode); false: any word
  min_confidence: 0.6      # below it: ask again once, then offer keys
  barge_in: true           # speaking stops the prompt
  retry_prompt: {en: Sorry, I did not catch that. Please say it again.}
  keys_prompt: {en: Please use your keypad.}
  intents:
    billing:
      en: {keywords: [bill, payment], phrases: [my bill is wrong]}
      ru: {keywords: [счёт, оплата]}

A channel_switch node has the same block, its ``intents`` keyed by the options' ``choice``
(``sms_link: {en: {keywords: [text, link]}}``, ``stay: {en: {keywords: [wait]}}``).

On a gather (digits spoken as words; yes/no at the prefill confirmation)::

speech:
  digits: true             # "four three two one", "сорок три двадцать один"
  confirm: true            # "yes" / "да" / "네" answers the confirm_prompt
  grammar: true
  min_confidence: 0.6
  yes_words: {en: [yes, correct]}  # optional: replaces the built-in words of a language
  no_words: {en: [no, wrong]}
"""

from __future__ import annotations

from typing import Any

from ivr.scenario import model as m
from ivr.scenario.load_parts import Parts
from ivr.scenario.source import Pos, Y

SPEECH_KEYS = ("grammar", "min_confidence", "barge_in", "retry_prompt", "keys_prompt", "intents")
TERM_KEYS = ("keywords", "phrases")
GATHER_SPEECH_KEYS = (
    *("digits", "confirm", "grammar", "min_confidence", "barge_in"),
    *("retry_prompt", "keys_prompt", "yes_words", "no_words"),
)


def parse_speech(
    parts: Parts, y: Y | None, node_id: str, kind: str = "menu"
) -> m.SpeechSpec | None:
    """The speech block of menu (or channel_switch) ``node_id`` (None when absent or unusable)."""
    r = parts.reader
    what = f"speech of {kind} {node_id!r}"
    body = r.mapping(y, what)
    if body is None or y is None:
        return None
    r.check_keys(body, SPEECH_KEYS, what)
    where: dict[str, Pos] = {key: value.pos for key, value in body.items()}
    intents: dict[str, dict[str, m.IntentTerms]] = {}
    intents_y = r.require(body, "intents", what, y.key_pos or y.pos)
    for intent, by_lang_y in (r.mapping(intents_y, f"{what} intents") or {}).items():
        where[f"intents.{intent}"] = by_lang_y.key_pos or by_lang_y.pos
        by_lang = _intent(parts, by_lang_y, f"intent {intent!r} in {what}", where, intent)
        if by_lang:
            intents[intent] = by_lang
    if intents_y is not None and intents_y.is_map and not intents_y.value:
        r.error(intents_y.pos, f"{what} declares no intents")
    return m.SpeechSpec(
        intents=intents,
        **_listening(parts, body, node_id, what),
        pos=y.key_pos or y.pos,
        where=where,
    )


def parse_gather_speech(parts: Parts, y: Y | None, node_id: str) -> m.GatherSpeech | None:
    """The speech block of gather ``node_id`` (None when absent or unusable)."""
    r = parts.reader
    what = f"speech of gather {node_id!r}"
    body = r.mapping(y, what)
    if body is None or y is None:
        return None
    r.check_keys(body, GATHER_SPEECH_KEYS, what)
    where: dict[str, Pos] = {key: value.pos for key, value in body.items()}
    answers: dict[str, dict[str, tuple[str, ...]]] = {"yes": {}, "no": {}}
    for side, by_lang in answers.items():
        key = f"{side}_words"
        for language, words_y in (r.mapping(body.get(key), f"{what} {key}") or {}).items():
            where[f"{key}.{language}"] = words_y.key_pos or words_y.pos
            words = _words(parts, words_y, f"{what} {key} ({language})")
            if words:
                by_lang[language] = words
            elif words_y.is_seq:
                r.error(words_y.pos, f"{what} {key} ({language}) lists no words")
    digits = r.scalar(body.get("digits"), bool, f"{what} digits")
    confirm = r.scalar(body.get("confirm"), bool, f"{what} confirm")
    if digits is False and confirm is False:
        r.error(y.key_pos or y.pos, f"{what} listens for nothing (digits and confirm are false)")
    return m.GatherSpeech(
        digits=digits is not False,
        confirm=confirm is not False,
        yes=answers["yes"],
        no=answers["no"],
        **_listening(parts, body, node_id, what),
        pos=y.key_pos or y.pos,
        where=where,
    )


def _listening(parts: Parts, body: dict[str, Y], node_id: str, what: str) -> dict[str, Any]:
    """The settings menus and gathers share: grammar, threshold, barge-in, prompts."""
    r = parts.reader
    confidence = r.scalar(body.get("min_confidence"), float, f"{what} min_confidence")
    if confidence is not None and not 0 <= confidence <= 1:
        r.error(body["min_confidence"].pos, f"{what} min_confidence must be between 0 and 1")
        confidence = None
    grammar = r.scalar(body.get("grammar"), bool, f"{what} grammar")
    barge_in = r.scalar(body.get("barge_in"), bool, f"{what} barge_in")
    return {
        "grammar": True if grammar is None else grammar,
        "min_confidence": confidence,
        "barge_in": True if barge_in is None else barge_in,
        "retry_prompt": parts.prompt(
            body.get("retry_prompt"), f"{node_id}.speech.retry_prompt", f"{what} retry_prompt"
        ),
        "keys_prompt": parts.prompt(
            body.get("keys_prompt"), f"{node_id}.speech.keys_prompt", f"{what} keys_prompt"
        ),
    }


def _intent(
    parts: Parts, y: Y, what: str, where: dict[str, Pos], intent: str
) -> dict[str, m.IntentTerms]:
    r = parts.reader
    out: dict[str, m.IntentTerms] = {}
    for language, terms_y in (r.mapping(y, what) or {}).items():
        where[f"intents.{intent}.{language}"] = terms_y.key_pos or terms_y.pos
        lang_what = f"{what} ({language})"
        terms = r.mapping(terms_y, lang_what)
        if terms is None:
            continue
        r.check_keys(terms, TERM_KEYS, lang_what)
        keywords = _words(parts, terms.get("keywords"), f"{lang_what} keywords")
        phrases = _words(parts, terms.get("phrases"), f"{lang_what} phrases")
        if not keywords and not phrases:
            r.error(terms_y.pos, f"{lang_what} needs keywords or phrases")
            continue
        out[language] = m.IntentTerms(keywords, phrases)
    return out


def _words(parts: Parts, y: Y | None, what: str) -> tuple[str, ...]:
    r = parts.reader
    if y is not None and not y.is_seq:
        r.error(y.pos, f"{what} must be a list")
        return ()
    return r.texts(y, what)
