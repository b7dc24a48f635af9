"""Pure-Python audio helpers, used only when sox is not installed.

A polyphase windowed-sinc resampler: each output sample is a weighted sum of the input around
its position, with a low-pass at 95 % of the lower Nyquist frequency so downsampling does not
alias. Slow (tens of ms per second of audio), but prompts are rendered once and cached.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence


def to_mono(frames: bytes, channels: int, sample_width: int) -> list[int]:
    """Signed 16-bit mono samples from little-endian PCM ``frames`` (8- or 16-bit)."""
    if sample_width == 2:
        data = array("h", frames)
        if array("h", [1]).tobytes() != b"\x01\x00":
            data.byteswap()
        samples = list(data)
    elif sample_width == 1:  # WAV 8-bit is unsigned
        samples = [(b - 128) << 8 for b in frames]
    else:
        raise ValueError(f"{sample_width * 8}-bit PCM is not supported without sox")
    if channels == 1:
        return samples
    return [sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)]


def to_pcm16(samples: Sequence[int]) -> bytes:
    """Little-endian signed 16-bit bytes."""
    data = array("h", samples)
    if array("h", [1]).tobytes() != b"\x01\x00":
        data.byteswap()
    return data.tobytes()


def resample(
    samples: Sequence[int], src_rate: int, dst_rate: int, zero_crossings: int = 12
) -> list[int]:
    """``samples`` at ``src_rate`` as 16-bit samples at ``dst_rate``."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
    if src_rate == dst_rate:
        return list(samples)
    g = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // g, src_rate // g
    cutoff = 0.95 * min(1.0, dst_rate / src_rate)  # in cycles per input sample * 2
    half = math.ceil(zero_crossings / cutoff)
    offsets = range(-half + 1, half + 1)
    tables: dict[int, list[float]] = {}

    def taps(phase: int) -> list[float]:
        table = tables.get(phase)
        if table is None:
            frac = phase / up
            table = [_kernel(frac - j, cutoff, half) for j in offsets]
            total = sum(table)
            table = [w / total for w in table]
            tables[phase] = table
        return table

    n_in = len(samples)
    n_out = n_in * up // down
    out: list[int] = []
    for n in range(n_out):
        base, phase = divmod(n * down, up)
        acc = 0.0
        for j, w in zip(offsets, taps(phase), strict=True):
            k = base + j
            if 0 <= k < n_in:
                acc += samples[k] * w
        out.append(max(-32768, min(32767, round(acc))))
    return out


def _kernel(t: float, cutoff: float, half: int) -> float:
    """Hann-windowed sinc low-pass at ``cutoff`` (relative to the input Nyquist)."""
    if abs(t) >= half:
        return 0.0
    x = math.pi * cutoff * t
    sinc = 1.0 if x == 0 else math.sin(x) / x
    return cutoff * sinc * (0.5 + 0.5 * math.cos(math.pi * t / half))
