"""Lua scripts for reservations (see :mod:`routing.state.lua`): reserve, confirm, release,
and sweep expired reservations and due wrap-ups."""

from __future__ import annotations

RESERVE = r"""
local now, cid, aid, expires = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ah, ch = akey(aid), ckey(cid)
local a = redis.call('HMGET', ah, 'state', 'reachable', 'contact')
if not a[1] then return {0, 'no_agent'} end
local c = redis.call('HMGET', ch, 'phase', 'queues', 'member')
if not c[1] then return {0, 'no_contact'} end
if a[3] ~= '' then return {0, 'agent_busy'} end
if a[1] ~= 'ready' then return {0, 'agent_not_ready'} end
if a[2] ~= '1' then return {0, 'agent_unreachable'} end
if c[1] ~= 'waiting' then return {0, 'contact_not_waiting'} end
local rejected = member_rejected(c[3])
if rejected ~= '[]' then
  for _, r in ipairs(cjson.decode(rejected)) do
    if r == aid then return {0, 'rang_out'} end
  end
end
local seq = redis.call('INCR', P .. 'seq')
for _, s in ipairs(cjson.decode(c[2])) do redis.call('ZREM', P .. 'w:' .. s, c[3]) end
redis.call('HSET', ch, 'phase', 'offered', 'agent', aid, 'token', seq, 'offered_at', now,
  'expires', expires)
redis.call('ZADD', P .. 'resv', expires, cid)
move(aid, 'reserved', '', now, cid)
return {1, seq}
"""

_OFFERED = r"""
local now, cid, token = ARGV[2], ARGV[3], ARGV[4]
local ch = ckey(cid)
local c = redis.call('HMGET', ch, 'phase', 'agent', 'token', 'customer', 'svc', 'entered',
  'slt', 'slw')
if not c[1] then return redis.error_reply('NOTFOUND no contact ' .. cid) end
if c[1] ~= 'offered' then
  return redis.error_reply('CONFLICT contact ' .. cid .. ' is ' .. c[1] .. ', not offered')
end
if token ~= '' and token ~= c[3] then
  return redis.error_reply('STALE contact ' .. cid .. ': reservation ' .. token ..
    ' is no longer current')
end
"""

CONFIRM = (
    _OFFERED
    + r"""
local seq = redis.call('INCR', P .. 'seq')
redis.call('HSET', ch, 'phase', 'active', 'answered_at', now, 'expires', '')
sl_outcome({svc = c[5], entered = c[6], slt = c[7], slw = c[8]}, cid, now, true, seq)
redis.call('ZREM', P .. 'resv', cid)
if redis.call('HGET', akey(c[2]), 'contact') == cid then move(c[2], 'on_call', '', now) end
if c[4] ~= '' then redis.call('HSET', P .. 'aff', c[4], cjson.encode({c[2], now})) end
return {seq, contact_json(cid)}
"""
)

RELEASE = (
    _OFFERED
    + r"""
return release(cid, now, ARGV[5])
"""
)

SWEEP = r"""
local now, limit, reason = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local released = {}
for _, cid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'resv', '-inf', now, 'LIMIT', 0, limit)) do
  if redis.call('HGET', ckey(cid), 'phase') == 'offered' then
    table.insert(released, release(cid, now, reason))
  else
    redis.call('ZREM', P .. 'resv', cid)
  end
end
local wrapped = {}
for _, aid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'wrap', '-inf', now, 'LIMIT', 0, limit)) do
  if redis.call('HGET', akey(aid), 'state') == 'wrap_up' then
    move(aid, 'ready', '', now)
    table.insert(wrapped, aid)
  else
    redis.call('ZREM', P .. 'wrap', aid)
  end
end
return {released, wrapped}
"""
