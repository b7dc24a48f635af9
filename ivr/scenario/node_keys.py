"""The keys each node kind accepts: the loader refuses any other (with its line), and
``schema.json`` declares the same sets for editors (a test keeps the two equal)."""

from __future__ import annotations

COMMON = ("kind",)
INTRO_MODES = ("always", "unless-personalised")
INTERACTIVE = ("retries", "timeout_ms", "invalid", "no_input")
KEYS: dict[str, tuple[str, ...]] = {
    "say": ("prompt", "next", "interruptible"),
    "menu": (
        "prompt",
        "options",
        "personalize",
        "max_promoted",
        "min_evidence",
        "half_life_days",
        "intro",
        "promote_fixed_keys",
    )
    + ("min_confidence", "speech")
    + INTERACTIVE,
    "gather": (
        "field",
        "prompt",
        "next",
        "length",
        "min_digits",
        "max_digits",
        "terminator",
        "pattern",
        "prefill",
        "confirm_prompt",
        "yes_key",
        "no_key",
        "speech",
    )
    + INTERACTIVE,
    "condition": ("if", "then", "else", "when"),
    "set": ("data", "intent", "language", "next"),
    "transfer": ("service", "skills", "priority", "vip_priority", "intent", "prompt"),
    "channel_switch": ("prompt", "options", "speech") + INTERACTIVE,
    "hangup": ("prompt", "reason"),
    "goto": ("target",),
    "call": ("flow", "next"),
    "return": (),
}
