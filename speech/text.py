"""Transcript normalisation for intent matching: tokens, fillers, stop words, light stems. Pure.

Speech recognisers write lower-case words without punctuation, but people (and scenario
authors) do not, so both sides go through :func:`tokens`: lower case, ``ё`` -> ``е``,
apostrophes and in-word hyphens dropped (``don't`` -> ``dont``, ``wi-fi`` -> ``wifi``;
a stutter such as ``I-I`` or ``э-э`` is one word), fillers removed.
"""

from __future__ import annotations

import re
from functools import lru_cache

_APOSTROPHES = re.compile(r"(?<=[^\W_])['’‘`ʼ](?=[^\W_])")
_STUTTER = re.compile(r"\b([^\W_]+)(?:-\1)+\b")
_INNER_HYPHEN = re.compile(r"(?<=[^\W_])[-‐‑–](?=[^\W_])")
_WORD = re.compile(r"[^\W_]+")
# Hesitation noises however long they are drawn out: "ummm", "э-э-э", "хм", "uh-huh".
_NOISE = re.compile(r"^(?:u+[hm]+|e+r+m*|a+h+|h+m+|m+|e+h+|э+|э+м+|м+|а+|х+м+|uh+huh)$")


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


FILLERS: dict[str, frozenset[str]] = {
    "en": _set("um umm uh uhh uhm erm er ah eh hmm hm mm oh well okay ok like"),
    "ru": _set("ну э эм ээ ммм вот типа короче блин слушайте значит так ой ага"),
}
FILLER_PHRASES: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (("you", "know"), ("i", "mean"), ("kind", "of"), ("sort", "of")),
    "ru": (("как", "бы"), ("это", "самое"), ("в", "общем"), ("так", "сказать")),
}
# Words that carry no intent on their own. Negations are here too: "не"/"not" count only inside
# a multi-word keyword ("не работает", "not working"), never as evidence by themselves.
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _set(
        """a an the i im ive id me my mine we our us you your yours it its is are am was were be
        been to of for in on at by with from about and or but so this that these those there
        here do does did have has had can could would should will shall may might want wanted
        wanna need needed like please hi hello hey yes yeah thanks thank just some any get got
        what whats how why when where which who one really very also still again too much
        then now today right know not no dont doesnt isnt cant cannot wont didnt"""
    ),
    "ru": _set(
        """я мне меня мой моя мое мои моего моей моим моих мы нам нас наш наша наше наши ты вы
        вам вас ваш ваша ваше ваши он она оно они его ее их у в во на с со и а но или по о об
        от до за к ко из для при про что чтобы как это эта этот эти то та тот же ли бы хочу
        хотел хотела хотим хотелось можно нужно надо пожалуйста здравствуйте добрый день алло
        да спасибо есть был была было были будет уже еще вообще просто тут там сейчас очень
        все всё мне себя свой свою своего какой какая какие когда где почему не нет ни"""
    ),
}

_RU_REFLEXIVE = ("ся", "сь")
_RU_ENDINGS = _set(
    """ого его ому ему ыми ими ая яя ое ее ые ие ый ий ой ую юю ых их ым им ем ом ами ями ах ях
    ам ям ов ев ей ию ия ье ья ешь ет ете ют ут ит ат ят ишь ите ать ять ить еть ыть уть ть ла
    ло ли ал ил ел ена ено ены ен ение ения ению ением а я о е ы и у ю ь й л"""
)
_EN_SUFFIXES = ("ations", "ation", "ings", "ing", "ied", "ies", "ed", "es", "ly")
_EN_SUFFIXES += ("s", "d", "e", "y")
MIN_STEM = 3


def normalize(text: str) -> str:
    """Lower case, ``ё`` as ``е``, apostrophes and in-word hyphens removed."""
    text = text.lower().replace("ё", "е")
    text = _APOSTROPHES.sub("", text)
    text = _STUTTER.sub(r"\1", text)  # "I-I-I", "м-м", "э-э-э"
    return _INNER_HYPHEN.sub("", text)


def words(text: str) -> list[str]:
    """The normalised words of ``text``, fillers included."""
    return _WORD.findall(normalize(text))


def is_filler(word: str, language: str) -> bool:
    """A hesitation or discourse filler ("um", "ну", "э-э") in ``language``."""
    return word in FILLERS.get(language, frozenset()) or bool(_NOISE.match(word))


def tokens(text: str, language: str) -> list[str]:
    """The normalised words of ``text`` without fillers (single words and known phrases)."""
    found = [w for w in words(text) if not is_filler(w, language)]
    for phrase in FILLER_PHRASES.get(language, ()):
        found = _drop_phrase(found, phrase)
    return found


def _drop_phrase(found: list[str], phrase: tuple[str, ...]) -> list[str]:
    size = len(phrase)
    out: list[str] = []
    i = 0
    while i < len(found):
        if tuple(found[i : i + size]) == phrase:
            i += size
            continue
        out.append(found[i])
        i += 1
    return out


def is_stop_word(word: str, language: str) -> bool:
    """True for words that say nothing about what the caller wants."""
    return word in STOP_WORDS.get(language, frozenset())


@lru_cache(maxsize=65536)
def stems(word: str, language: str) -> tuple[str, ...]:
    """The word and every stem left by taking one inflection ending off (at least 3 letters).

    Two words are forms of one another when their stems meet: "счета"/"счету" share "счет",
    "интернет"/"интернетом" share "интернет", "charges"/"charged" share "charg". Crude on
    purpose (no dictionary): the matcher's near-miss rules absorb what it misses.
    """
    found = [word]
    if language == "ru":
        forms = [word]
        for ending in _RU_REFLEXIVE:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                forms.append(word[: -len(ending)])
        for form in forms:
            found.extend(_strip(form, _RU_ENDINGS, range(1, 6)))
        found.extend(forms[1:])
    elif language == "en":
        for suffix in _EN_SUFFIXES:
            base = word[: -len(suffix)]
            if word.endswith(suffix) and len(base) >= MIN_STEM:
                found.append(base + "y" if suffix in ("ied", "ies") else base)
                if base.endswith("e") and len(base) > MIN_STEM:
                    found.append(base[:-1])
    return tuple(dict.fromkeys(found))


def _strip(form: str, endings: frozenset[str], sizes: range) -> list[str]:
    return [
        form[:-size] for size in sizes if len(form) - size >= MIN_STEM and form[-size:] in endings
    ]
