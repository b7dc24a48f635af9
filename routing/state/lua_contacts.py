"""Lua scripts for contacts (see :mod:`routing.state.lua`): queue, list under another
service, update the adapter's fields, remove, and read contacts and waiting lists."""

from __future__ import annotations

# ARGV: prefix, id, data, score, rejected, queues, service, customer, wrap, entered_at,
# service-level target and window (s), then meta key/value pairs
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
  'member', member, 'svc', service, 'entered', ARGV[10], 'slt', ARGV[11], 'slw', ARGV[12]}
for i = 13, #ARGV, 2 do  -- meta keys are distinct (a dict on the Python side)
  fields[#fields + 1] = 'm:' .. ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
end
redis.call('HSET', h, unpack(fields))
redis.call('ZADD', P .. 'w:' .. service, score, member)
redis.call('SADD', P .. 'contacts', id)
redis.call('ZADD', P .. 'pend:' .. service, ARGV[10], id)
return 1
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
if f.phase == 'waiting' then  -- listed only while waiting
  for _, s in ipairs(cjson.decode(f.queues)) do redis.call('ZREM', P .. 'w:' .. s, f.member) end
end
if f.phase == 'offered' then redis.call('ZREM', P .. 'resv', id) end
local outcome = 'abandoned'
if f.phase == 'active' then outcome = 'ended' else sl_outcome(f, id, now, false, seq) end
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

HEADS = r"""
local names = {}
for i = 3, #ARGV do names[#names + 1] = ARGV[i] end
local lists, affinity = heads(names, tonumber(ARGV[2]))
return {lists, affinity}
"""

READ_CONTACTS = r"""
local out = {}
for i = 2, #ARGV do out[#out + 1] = contact_fields(ARGV[i]) end
return cjson.encode(out)
"""
