"""The Redis store's Lua scripts: each transition runs as one script, so it is atomic across
every router instance on the same Redis.

``ARGV[1]`` is always the key prefix. Keys (after the prefix): ``a:<agent>`` agent hash,
``agents`` set, ``ready`` and ``ready:<service>`` sets of offerable agents, ``ep:<endpoint>``
agents by endpoint; ``c:<contact>`` contact hash, ``contacts`` set, ``w:<service>`` waiting
sorted set (score ascending: best first); ``resv`` reservations by expiry, ``wrap`` wrap-ups
by end, ``aff`` customer -> ``[agent, answered_at]``, ``seq`` the shared sequence
(reservation tokens); service-level counts in ``slok:``/``slno:``/``pend:<service>``
(:mod:`routing.state.lua_levels`).

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

from routing.state.lua_agents import PUT_AGENT, READY_HEADS, REMOVE_AGENT, SET_PRESENCE, SET_STATE
from routing.state.lua_contacts import (
    ENQUEUE,
    HEADS,
    LIST_UNDER,
    READ_CONTACTS,
    REMOVE_CONTACT,
    UPDATE_META,
)
from routing.state.lua_decide import READY_RESERVE
from routing.state.lua_levels import SL_LEVELS
from routing.state.lua_offers import CONFIRM, RELEASE, RESERVE, SWEEP

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

-- the contact's service-level outcome at `now` (routing.core.service_level): answered (met
-- when it waited at most the target) or abandoned; it is no longer pending. `f`: its hash's
-- svc, entered, slt (target) and slw (window) fields; contacts queued without them count not.
-- The set written is trimmed to the window on every 16th transition (`seq`): a few outcomes
-- past it may wait there (the counts read only the window), and it expires a window later.
local function sl_outcome(f, cid, now, answered, seq)
  if not f.svc then return end
  local ok, no = P .. 'slok:' .. f.svc, P .. 'slno:' .. f.svc
  redis.call('ZREM', P .. 'pend:' .. f.svc, cid)
  local met = answered and tonumber(now) - tonumber(f.entered) <= tonumber(f.slt)
  local key = met and ok or no
  redis.call('ZADD', key, now, cid)
  local window = tonumber(f.slw)
  if seq % 16 == 0 then
    local since = string.format('(%.17g', tonumber(now) - window - 1)  -- 1 s spare: rounding
    redis.call('ZREMRANGEBYSCORE', key, '-inf', since)
  end
  redis.call('PEXPIRE', key, string.format('%d', math.ceil(window * 1000) + 1000))
end

-- the agents by endpoint (device state names endpoints): ep:<endpoint> sets
local function index_endpoint(id, data, on)
  local endpoint = cjson.decode(data).endpoint
  if type(endpoint) == 'string' and endpoint ~= '' then
    redis.call(on and 'SADD' or 'SREM', P .. 'ep:' .. endpoint, id)
  end
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
    "ready_reserve": READY_RESERVE,
    "sl_levels": SL_LEVELS,
}
"""Script name -> body; the store prepends :data:`PRELUDE` to each."""
