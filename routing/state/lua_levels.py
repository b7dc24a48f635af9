"""The Redis store's service-level scripts (``routing.core.service_level``).

Keys (after the prefix), per service ``s``: ``slok:<s>`` and ``slno:<s>``, sorted sets of
contact ids scored by the time of their outcome (met the target; missed it or abandoned),
trimmed to the window and expiring a second after it; ``pend:<s>``, contact ids not
answered yet scored by ``entered_at``. The transitions keep them, atomically: ``enqueue``
adds to ``pend``, ``confirm`` and ``remove_contact`` move the contact to an outcome (the
prelude's ``sl_outcome``, :mod:`routing.state.lua`).
"""

from __future__ import annotations

# ARGV: prefix, then per service: name, window start, late before. Returns per service
# {met, missed, late}: outcomes at or after the window start, and pending contacts still
# waiting or offered that entered strictly before "late before".
SL_LEVELS = r"""
local out = {}
for i = 2, #ARGV, 3 do
  local s, since, late_before = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local met = redis.call('ZCOUNT', P .. 'slok:' .. s, since, '+inf')
  local missed = redis.call('ZCOUNT', P .. 'slno:' .. s, since, '+inf')
  local late = redis.call('ZCOUNT', P .. 'pend:' .. s, '-inf', '(' .. late_before)
  out[#out + 1] = {met, missed, late}
end
return out
"""
