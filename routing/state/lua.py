"""The Redis store's Lua scripts: each transition runs as one script, so it is atomic across
every router instance on the same Redis.

``ARGV[1]`` is always the key prefix. Keys (after the prefix): ``a:<agent>`` agent hash,
``agents`` set, ``ready`` and ``ready:<service>`` sets of offerable agents, ``c:<contact>``
contact hash, ``contacts`` set, ``w:<service>`` waiting sorted set (score ascending: best
first), ``resv`` reservations by expiry, ``wrap`` wrap-ups by end, ``aff`` customer ->
``[agent, answered_at]``, ``seq`` the shared sequence (reservation tokens).

Keys are derived inside the scripts, so this needs a single Redis (or a cluster where the
prefix carries a hash tag, e.g. ``omnivox:{routing}:``). Times and scores travel as the
strings Python wrote; Lua never formats a time it was given, so nothing loses precision.
Errors come back as ``NOTFOUND``/``CONFLICT``/``STALE`` replies.
"""

from __future__ import annotations

PRELUDE = r"""
local P = ARGV[1]
local function akey(id) return P .. 'a:' .. id end
local function ckey(id) return P .. 'c:' .. id end

local function index_ready(id, on)
  local op = on and 'SADD' or 'SREM'
  redis.call(op, P .. 'ready', id)
  for _, s in ipairs(cjson.decode(redis.call('HGET', akey(id), 'services'))) do
    redis.call(op, P .. 'ready:' .. s, id)
  end
end

local function sync_ready(id)
  local f = redis.call('HMGET', akey(id), 'state', 'reachable', 'contact')
  index_ready(id, f[1] == 'ready' and f[2] == '1' and f[3] == '')
end

local function move(id, state, reason, now)
  local h = akey(id)
  if state ~= 'not_ready' then reason = '' end
  redis.call('HSET', h, 'state', state, 'reason', reason, 'state_since', now)
  if state == 'ready' then redis.call('HSET', h, 'idle_since', now) end
  if state ~= 'wrap_up' then
    redis.call('HSET', h, 'wrap_until', '')
    redis.call('ZREM', P .. 'wrap', id)
  end
  redis.call('HINCRBY', h, 'version', 1)
  sync_ready(id)
end

local function release(cid, now, reason)
  local ch = ckey(cid)
  local c = redis.call('HMGET', ch, 'agent', 'score', 'rejected', 'queues')
  local aid = c[1]
  local seq = redis.call('INCR', P .. 'seq')
  local rejected = cjson.decode(c[3])
  local seen = false
  for _, r in ipairs(rejected) do if r == aid then seen = true end end
  if not seen then table.insert(rejected, aid) end
  redis.call('HSET', ch, 'rejected', cjson.encode(rejected), 'phase', 'waiting', 'agent', '',
    'token', '', 'offered_at', '', 'expires', '')
  for _, s in ipairs(cjson.decode(c[4])) do redis.call('ZADD', P .. 'w:' .. s, c[2], cid) end
  redis.call('ZREM', P .. 'resv', cid)
  local ah = akey(aid)
  if redis.call('HGET', ah, 'contact') == cid then
    redis.call('HSET', ah, 'contact', '')
    move(aid, 'not_ready', reason, now)
  end
  return {cid, aid, seq}
end
"""

PUT_AGENT = r"""
local now, id, data, services, state, reason = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local h = akey(id)
if redis.call('EXISTS', h) == 1 then
  index_ready(id, false)
  redis.call('HSET', h, 'data', data, 'services', services)
  redis.call('HINCRBY', h, 'version', 1)
else
  if state ~= 'not_ready' then reason = '' end
  local idle = ''
  if state == 'ready' then idle = now end
  redis.call('HSET', h, 'data', data, 'services', services, 'state', state, 'reason', reason,
    'state_since', now, 'idle_since', idle, 'version', 1, 'contact', '', 'reachable', '1',
    'wrap_until', '')
  redis.call('SADD', P .. 'agents', id)
end
sync_ready(id)
return redis.call('HGETALL', h)
"""

REMOVE_AGENT = r"""
local id = ARGV[2]
local h = akey(id)
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND no agent ' .. id) end
local c = redis.call('HGET', h, 'contact')
if c ~= '' then return redis.error_reply('CONFLICT agent ' .. id .. ' holds contact ' .. c) end
index_ready(id, false)
redis.call('ZREM', P .. 'wrap', id)
redis.call('DEL', h)
redis.call('SREM', P .. 'agents', id)
return 1
"""

SET_STATE = r"""
local now, id, state, reason, expect = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local h = akey(id)
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND no agent ' .. id) end
local f = redis.call('HMGET', h, 'state', 'version', 'reason')
if expect ~= '' and expect ~= f[2] then
  return redis.error_reply('STALE agent ' .. id .. ' is at version ' .. f[2] .. ', not ' .. expect)
end
if f[1] == 'reserved' or f[1] == 'on_call' then
  return redis.error_reply('CONFLICT agent ' .. id .. ' is ' .. f[1] .. ': not now')
end
if state ~= 'not_ready' then reason = '' end
if f[1] ~= state or f[3] ~= reason then move(id, state, reason, now) end
return redis.call('HGETALL', h)
"""

SET_PRESENCE = r"""
local id, flag = ARGV[2], ARGV[3]
local h = akey(id)
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND no agent ' .. id) end
redis.call('HSET', h, 'reachable', flag)
redis.call('HINCRBY', h, 'version', 1)
sync_ready(id)
return redis.call('HGETALL', h)
"""

ENQUEUE = r"""
local id, data, score, rejected, queues = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local service, customer, wrap = ARGV[7], ARGV[8], ARGV[9]
local h = ckey(id)
if redis.call('EXISTS', h) == 1 then
  return redis.error_reply('CONFLICT contact ' .. id .. ' is already queued')
end
redis.call('HSET', h, 'data', data, 'score', score, 'rejected', rejected, 'queues', queues,
  'phase', 'waiting', 'agent', '', 'token', '', 'offered_at', '', 'expires', '',
  'answered_at', '', 'customer', customer, 'wrap', wrap)
for i = 10, #ARGV, 2 do redis.call('HSET', h, 'm:' .. ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', P .. 'w:' .. service, score, id)
redis.call('SADD', P .. 'contacts', id)
return redis.call('HGETALL', h)
"""

LIST_UNDER = r"""
local id, service = ARGV[2], ARGV[3]
local h = ckey(id)
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND no contact ' .. id) end
local f = redis.call('HMGET', h, 'queues', 'phase', 'score')
local queues = cjson.decode(f[1])
for _, s in ipairs(queues) do
  if s == service then return redis.call('HGETALL', h) end
end
table.insert(queues, service)
redis.call('HSET', h, 'queues', cjson.encode(queues))
if f[2] == 'waiting' then redis.call('ZADD', P .. 'w:' .. service, f[3], id) end
return redis.call('HGETALL', h)
"""

UPDATE_META = r"""
local id = ARGV[2]
local h = ckey(id)
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND no contact ' .. id) end
for i = 3, #ARGV, 2 do redis.call('HSET', h, 'm:' .. ARGV[i], ARGV[i + 1]) end
return redis.call('HGETALL', h)
"""

REMOVE_CONTACT = r"""
local now, id = ARGV[2], ARGV[3]
local h = ckey(id)
if redis.call('EXISTS', h) == 0 then return false end
local fields = redis.call('HGETALL', h)
local f = redis.call('HMGET', h, 'phase', 'agent', 'queues', 'wrap')
local seq = redis.call('INCR', P .. 'seq')
for _, s in ipairs(cjson.decode(f[3])) do redis.call('ZREM', P .. 'w:' .. s, id) end
redis.call('ZREM', P .. 'resv', id)
local outcome = 'abandoned'
if f[1] == 'active' then outcome = 'ended' end
local agent_state = ''
if f[2] ~= '' then
  local ah = akey(f[2])
  if redis.call('HGET', ah, 'contact') == id then
    redis.call('HSET', ah, 'contact', '')
    local wrap = tonumber(f[4])
    if f[1] == 'active' and wrap > 0 then
      local ends = tonumber(now) + wrap
      move(f[2], 'wrap_up', '', now)
      redis.call('HSET', ah, 'wrap_until', ends)
      redis.call('ZADD', P .. 'wrap', ends, f[2])
    else
      move(f[2], 'ready', '', now)
    end
    agent_state = redis.call('HGET', ah, 'state')
  end
end
redis.call('DEL', h)
redis.call('SREM', P .. 'contacts', id)
return {seq, outcome, agent_state, fields}
"""

RESERVE = r"""
local now, cid, aid, expires = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local ah, ch = akey(aid), ckey(cid)
if redis.call('EXISTS', ah) == 0 then return {0, 'no_agent'} end
if redis.call('EXISTS', ch) == 0 then return {0, 'no_contact'} end
local a = redis.call('HMGET', ah, 'state', 'reachable', 'contact')
if a[3] ~= '' then return {0, 'agent_busy'} end
if a[1] ~= 'ready' then return {0, 'agent_not_ready'} end
if a[2] ~= '1' then return {0, 'agent_unreachable'} end
local c = redis.call('HMGET', ch, 'phase', 'rejected', 'queues')
if c[1] ~= 'waiting' then return {0, 'contact_not_waiting'} end
for _, r in ipairs(cjson.decode(c[2])) do
  if r == aid then return {0, 'rang_out'} end
end
local seq = redis.call('INCR', P .. 'seq')
for _, s in ipairs(cjson.decode(c[3])) do redis.call('ZREM', P .. 'w:' .. s, cid) end
redis.call('HSET', ch, 'phase', 'offered', 'agent', aid, 'token', seq, 'offered_at', now,
  'expires', expires)
redis.call('ZADD', P .. 'resv', expires, cid)
redis.call('HSET', ah, 'contact', cid)
move(aid, 'reserved', '', now)
return {1, seq}
"""

_OFFERED = r"""
local now, cid, token = ARGV[2], ARGV[3], ARGV[4]
local ch = ckey(cid)
if redis.call('EXISTS', ch) == 0 then return redis.error_reply('NOTFOUND no contact ' .. cid) end
local c = redis.call('HMGET', ch, 'phase', 'agent', 'token', 'customer')
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
redis.call('ZREM', P .. 'resv', cid)
if redis.call('HGET', akey(c[2]), 'contact') == cid then move(c[2], 'on_call', '', now) end
if c[4] ~= '' then redis.call('HSET', P .. 'aff', c[4], cjson.encode({c[2], now})) end
return {seq, redis.call('HGETALL', ch)}
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

HEADS = r"""
local stop = tonumber(ARGV[2])
local lists, seen, customers = {}, {}, {}
for i = 3, #ARGV do
  local rows = {}
  for _, cid in ipairs(redis.call('ZRANGE', P .. 'w:' .. ARGV[i], 0, stop)) do
    local d = redis.call('HMGET', ckey(cid), 'data', 'rejected', 'customer')
    table.insert(rows, cid)
    table.insert(rows, d[1])
    table.insert(rows, d[2])
    if d[3] ~= '' and not seen[d[3]] then
      seen[d[3]] = true
      table.insert(customers, d[3])
    end
  end
  table.insert(lists, rows)
end
local affinity = {}
for _, customer in ipairs(customers) do
  local v = redis.call('HGET', P .. 'aff', customer)
  if v then
    table.insert(affinity, customer)
    table.insert(affinity, v)
  end
end
return {lists, affinity}
"""

SCRIPTS = {
    "put_agent": PUT_AGENT,
    "remove_agent": REMOVE_AGENT,
    "set_state": SET_STATE,
    "set_presence": SET_PRESENCE,
    "enqueue": ENQUEUE,
    "list_under": LIST_UNDER,
    "update_meta": UPDATE_META,
    "remove_contact": REMOVE_CONTACT,
    "reserve": RESERVE,
    "confirm": CONFIRM,
    "release": RELEASE,
    "sweep": SWEEP,
    "heads": HEADS,
}
"""Script name -> body; the store prepends :data:`PRELUDE` to each."""
