"""The Redis store's Lua scripts: each transition runs as one script, so it is atomic across
every router instance on the same Redis.

``ARGV[1]`` is always the key prefix. Keys (after the prefix): ``a:<agent>`` agent hash,
``agents`` set, ``ready`` and ``ready:<service>`` sets of offerable agents; ``c:<contact>``
contact hash, ``contacts`` set, ``w:<service>`` waiting sorted set (score ascending: best
first); ``resv`` reservations by expiry, ``wrap`` wrap-ups by end, ``aff`` customer ->
``[agent, answered_at]``, ``seq`` the shared sequence (reservation tokens).

A waiting list's member is the whole static contact, ``id LF customer LF rejected_by-JSON
LF data-JSON`` (the contact hash keeps it as ``member``), so reading the head of a list is
one ``ZRANGE``. ``rejected_by`` only changes while the contact is offered, i.e. out of
every list, and a release lists it again under a new member. Ids and customers therefore
must not contain line feeds (the store checks).

Keys are derived inside the scripts, so this needs a single Redis (or a cluster where the
prefix carries a hash tag, e.g. ``omnivox:{routing}:``). Times and scores travel as the
strings Python wrote; Lua never formats a time it was given, so nothing loses precision.
Hashes come back as one JSON string (``cjson``); waiting lists come back as they are
(arrays of members): joining or JSON-encoding members in Lua costs Redis more than sending
them, and a C parser (hiredis) reads them at once. Errors come back as
``NOTFOUND``/``CONFLICT``/``STALE``.

Scripts touch as little as they can: an agent's ready indexes are only written when the
agent becomes offerable or stops being so, and each transition writes a hash once.
"""

from __future__ import annotations

PRELUDE = r"""
local P = ARGV[1]
local function akey(id) return P .. 'a:' .. id end
local function ckey(id) return P .. 'c:' .. id end
-- a hash as one JSON array [k1, v1, ...]: one bulk reply parses far faster than many
local function hash(key) return cjson.encode(redis.call('HGETALL', key)) end

-- HMGET over many fields, in chunks (unpack has a stack limit)
local function hmget(key, fields)
  local out = {}
  for i = 1, #fields, 1000 do
    local chunk = {}
    for j = i, math.min(i + 999, #fields) do chunk[#chunk + 1] = fields[j] end
    local got = redis.call('HMGET', key, unpack(chunk))
    for j = 1, #got do out[#out + 1] = got[j] end
  end
  return out
end

-- id, customer, rejected JSON, data JSON <-> one waiting-list member
local function split_member(m)
  return string.match(m, '^([^\n]*)\n([^\n]*)\n([^\n]*)\n(.*)$')
end
local function join_member(id, customer, rejected, data)
  return id .. '\n' .. customer .. '\n' .. rejected .. '\n' .. data
end
local function member_customer(m) return string.match(m, '^[^\n]*\n([^\n]*)\n') end
local function member_rejected(m) return string.match(m, '^[^\n]*\n[^\n]*\n([^\n]*)\n') end

local function contact_fields(cid)
  local t = redis.call('HGETALL', ckey(cid))
  if #t == 0 then return false end
  return t
end
local function contact_json(cid) return cjson.encode(contact_fields(cid)) end

-- the first stop + 1 members of each waiting list, and the affinity of their customers
-- ([customer, value] flattened)
local function heads(names, stop)
  local lists, seen, customers = {}, {}, {}
  for i, name in ipairs(names) do
    local members = redis.call('ZRANGE', P .. 'w:' .. name, 0, stop)
    for _, m in ipairs(members) do
      local customer = member_customer(m)
      if customer ~= '' and not seen[customer] then
        seen[customer] = true
        customers[#customers + 1] = customer
      end
    end
    lists[i] = members
  end
  local affinity = {}
  if #customers > 0 then
    local values = hmget(P .. 'aff', customers)
    for j, customer in ipairs(customers) do
      if values[j] then
        affinity[#affinity + 1] = customer
        affinity[#affinity + 1] = values[j]
      end
    end
  end
  return lists, affinity
end

local function index_ready(id, on)
  local op = on and 'SADD' or 'SREM'
  redis.call(op, P .. 'ready', id)
  for _, s in ipairs(cjson.decode(redis.call('HGET', akey(id), 'services'))) do
    redis.call(op, P .. 'ready:' .. s, id)
  end
end

-- the ready indexes follow the agent's hash; written only when offerability changes
-- (`ready` and every `ready:<service>` always change together)
local function sync_ready(id, offerable)
  if offerable == nil then
    local f = redis.call('HMGET', akey(id), 'state', 'reachable', 'contact')
    offerable = f[1] == 'ready' and f[2] == '1' and f[3] == ''
  end
  if (redis.call('SISMEMBER', P .. 'ready', id) == 1) ~= offerable then
    index_ready(id, offerable)
  end
end

-- the agent's state changes, with its version, wrap-up and ready indexes, in one write;
-- contact: the contact the agent now holds ('' none, nil unchanged); wrap_until: the end of
-- the wrap-up when state is 'wrap_up'
local function move(id, state, reason, now, contact, wrap_until)
  local h = akey(id)
  local f = redis.call('HMGET', h, 'version', 'wrap_until', 'reachable', 'contact')
  if state ~= 'not_ready' then reason = '' end
  local w = {'HSET', h, 'state', state, 'reason', reason, 'state_since', now,
    'version', string.format('%d', tonumber(f[1]) + 1)}
  if state == 'ready' then w[#w + 1] = 'idle_since'; w[#w + 1] = now end
  if contact then w[#w + 1] = 'contact'; w[#w + 1] = contact else contact = f[4] end
  if state == 'wrap_up' then
    w[#w + 1] = 'wrap_until'; w[#w + 1] = wrap_until
    redis.call('ZADD', P .. 'wrap', wrap_until, id)
  elseif f[2] ~= '' then
    w[#w + 1] = 'wrap_until'; w[#w + 1] = ''
    redis.call('ZREM', P .. 'wrap', id)
  end
  redis.call(unpack(w))
  sync_ready(id, state == 'ready' and f[3] == '1' and contact == '')
end

local function release(cid, now, reason)
  local ch = ckey(cid)
  local c = redis.call('HMGET', ch, 'agent', 'score', 'queues', 'member')
  local aid = c[1]
  local seq = redis.call('INCR', P .. 'seq')
  local _, customer, old, data = split_member(c[4])
  local rejected = cjson.decode(old)
  local seen = false
  for _, r in ipairs(rejected) do if r == aid then seen = true end end
  if not seen then table.insert(rejected, aid) end
  local member = join_member(cid, customer, cjson.encode(rejected), data)
  redis.call('HSET', ch, 'phase', 'waiting', 'agent', '', 'token', '', 'offered_at', '',
    'expires', '', 'member', member)
  for _, s in ipairs(cjson.decode(c[3])) do redis.call('ZADD', P .. 'w:' .. s, c[2], member) end
  redis.call('ZREM', P .. 'resv', cid)
  if redis.call('HGET', akey(aid), 'contact') == cid then
    move(aid, 'not_ready', reason, now, '')
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
return hash(h)
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
return hash(h)
"""

SET_PRESENCE = r"""
local id, flag = ARGV[2], ARGV[3]
local h = akey(id)
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND no agent ' .. id) end
redis.call('HSET', h, 'reachable', flag)
redis.call('HINCRBY', h, 'version', 1)
sync_ready(id)
return hash(h)
"""

ENQUEUE = r"""
local id, data, score, rejected, queues = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local service, customer, wrap = ARGV[7], ARGV[8], ARGV[9]
local member = join_member(id, customer, rejected, data)
local h = ckey(id)
if redis.call('EXISTS', h) == 1 then
  return redis.error_reply('CONFLICT contact ' .. id .. ' is already queued')
end
local fields = {'score', score, 'queues', queues, 'phase', 'waiting', 'agent', '', 'token', '',
  'offered_at', '', 'expires', '', 'answered_at', '', 'customer', customer, 'wrap', wrap,
  'member', member}
for i = 10, #ARGV, 2 do  -- meta keys are distinct (a dict on the Python side)
  fields[#fields + 1] = 'm:' .. ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
redis.call('HSET', h, unpack(fields))
redis.call('ZADD', P .. 'w:' .. service, score, member)
redis.call('SADD', P .. 'contacts', id)
return cjson.encode(fields)
"""

LIST_UNDER = r"""
local id, service = ARGV[2], ARGV[3]
local h = ckey(id)
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND no contact ' .. id) end
local f = redis.call('HMGET', h, 'queues', 'phase', 'score', 'member')
local queues = cjson.decode(f[1])
for _, s in ipairs(queues) do
  if s == service then return contact_json(id) end
end
table.insert(queues, service)
redis.call('HSET', h, 'queues', cjson.encode(queues))
if f[2] == 'waiting' then redis.call('ZADD', P .. 'w:' .. service, f[3], f[4]) end
return contact_json(id)
"""

UPDATE_META = r"""
local id = ARGV[2]
local h = ckey(id)
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND no contact ' .. id) end
for i = 3, #ARGV, 2 do redis.call('HSET', h, 'm:' .. ARGV[i], ARGV[i + 1]) end
return contact_json(id)
"""

REMOVE_CONTACT = r"""
local now, id = ARGV[2], ARGV[3]
local h = ckey(id)
local flat = redis.call('HGETALL', h)
if #flat == 0 then return false end
local f = {}
for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
local seq = redis.call('INCR', P .. 'seq')
for _, s in ipairs(cjson.decode(f.queues)) do redis.call('ZREM', P .. 'w:' .. s, f.member) end
if f.phase == 'offered' then redis.call('ZREM', P .. 'resv', id) end
local outcome = 'abandoned'
if f.phase == 'active' then outcome = 'ended' end
local agent_state = ''
if f.agent ~= '' and redis.call('HGET', akey(f.agent), 'contact') == id then
  local wrap = tonumber(f.wrap)
  if f.phase == 'active' and wrap > 0 then
    agent_state = 'wrap_up'
    move(f.agent, agent_state, '', now, '', tonumber(now) + wrap)
  else
    agent_state = 'ready'
    move(f.agent, agent_state, '', now, '')
  end
end
redis.call('DEL', h)
redis.call('SREM', P .. 'contacts', id)
return {seq, outcome, agent_state, cjson.encode(flat)}
"""

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
local c = redis.call('HMGET', ch, 'phase', 'agent', 'token', 'customer')
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

HEADS = r"""
local names = {}
for i = 3, #ARGV do names[#names + 1] = ARGV[i] end
local lists, affinity = heads(names, tonumber(ARGV[2]))
return {lists, affinity}
"""

READY_HEADS = r"""
local now, id, stop, expect = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local h = akey(id)
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND no agent ' .. id) end
local f = redis.call('HMGET', h, 'state', 'version', 'services')
if expect ~= '' and expect ~= f[2] then
  return redis.error_reply('STALE agent ' .. id .. ' is at version ' .. f[2] .. ', not ' .. expect)
end
if f[1] == 'reserved' or f[1] == 'on_call' then
  return redis.error_reply('CONFLICT agent ' .. id .. ' is ' .. f[1] .. ': not now')
end
if f[1] ~= 'ready' then move(id, 'ready', '', now) end
local lists, affinity = heads(cjson.decode(f[3]), stop)
return {hash(h), lists, affinity}
"""

READ_CONTACTS = r"""
local out = {}
for i = 2, #ARGV do out[#out + 1] = contact_fields(ARGV[i]) end
return cjson.encode(out)
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
    "ready_heads": READY_HEADS,
    "read_contacts": READ_CONTACTS,
}
"""Script name -> body; the store prepends :data:`PRELUDE` to each."""
