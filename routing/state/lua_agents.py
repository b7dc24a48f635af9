"""Lua scripts for agents (see :mod:`routing.state.lua` for the keys and conventions):
add or update, remove, set the state or presence, and go READY while reading the heads of
the agent's waiting lists."""

from __future__ import annotations

PUT_AGENT = r"""
local now, id, data, services, state, reason = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local h = akey(id)
if redis.call('EXISTS', h) == 1 then
  index_ready(id, false)
  index_endpoint(id, redis.call('HGET', h, 'data'), false)
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
index_endpoint(id, data, true)
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
index_endpoint(id, redis.call('HGET', h, 'data'), false)
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
