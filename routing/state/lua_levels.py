"""The Redis store's service-level scripts (``routing.core.service_level``).

Keys (after the prefix), per service ``s``: ``slok:<s>`` and ``slno:<s>``, sorted sets of
contact ids scored by the time of their outcome (met the target; missed it or abandoned),
trimmed to the window and expiring a second after it; ``pend:<s>``, contact ids not
answered yet scored by ``entered_at`` (written by the store after ``enqueue``; an id whose
contact is gone or answered is dropped when it is read as late).
"""

from __future__ import annotations

# ARGV: prefix, service, contact id, at, '1' met / '0' missed, trim before (at - window),
# expiry in ms. Returns 1 if recorded, 0 if the contact already had an outcome.
SL_RECORD = r"""
local s, cid, at, met, since, ttl = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local ok, no = P .. 'slok:' .. s, P .. 'slno:' .. s
redis.call('ZREM', P .. 'pend:' .. s, cid)
if redis.call('ZSCORE', ok, cid) or redis.call('ZSCORE', no, cid) then return 0 end
redis.call('ZADD', met == '1' and ok or no, at, cid)
for _, key in ipairs({ok, no}) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. since)
  redis.call('PEXPIRE', key, ttl)
end
return 1
"""

# ARGV: prefix, then per service: name, window start, late before. Returns per service
# {met, missed, late}: outcomes at or after the window start, and pending contacts still
# waiting or offered that entered strictly before "late before".
SL_LEVELS = r"""
local out = {}
for i = 2, #ARGV, 3 do
  local s, since, late_before = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local met = redis.call('ZCOUNT', P .. 'slok:' .. s, since, '+inf')
  local missed = redis.call('ZCOUNT', P .. 'slno:' .. s, since, '+inf')
  local pend = P .. 'pend:' .. s
  local late = 0
  for _, cid in ipairs(redis.call('ZRANGEBYSCORE', pend, '-inf', '(' .. late_before)) do
    local phase = redis.call('HGET', ckey(cid), 'phase')
    if phase == 'waiting' or phase == 'offered' then
      late = late + 1
    else
      redis.call('ZREM', pend, cid)
    end
  end
  out[#out + 1] = {met, missed, late}
end
return out
"""
