"""Decide and reserve in one Lua script: the agent goes READY, the best waiting contact of
their services is chosen by ``routing.core``'s rule, and reserved, atomically.

The rule is :func:`routing.core.decide.best_contact_for_agent` with no live state but which
services are behind their service level (``routing.core.service_level.risk_flags``): the
highest contact score among the contacts the agent is eligible for (member of the target
service after relaxation, not rung out, every required skill at its level), ties to the
earlier ``entered_at``, then the smaller id (compared byte by byte, as Python compares code
points). The arithmetic is Python's, operation for operation, on the same doubles, so Lua
and Python agree on every score.

The head (``k`` contacts) of every list is read first, then each list further in doubling
chunks; a list is left where nothing further down can outrank the best choice so far (the
bound of :mod:`routing.core.heads`: a member's index key, its score in the list negated,
plus ``top``; such members are not even decoded), or after ``max_k`` contacts. Below
``max_k`` the choice is the one the whole lists give.

Services come from ``cfg:<digest>`` (one JSON object per service, written by the store, see
:mod:`routing.state.decide_config`). Everything is read before anything is written, so a
missing configuration (``NOCFG``) changes nothing and the store can write it and call again.

``ARGV``: prefix, now, agent, expected version ('' none), config digest, k, max_k, top
(``ceiling + now + MARGIN_S``), expiry, the number of services behind their service level
then their names (their contacts' priority gains ``behind_lift``; relaxation steps keyed on
live state still count as not firing), then the names of further waiting lists to read
besides the agent's services and those overflowing to them (a service's ``from``). Reply:
``{1, token, member, version, data, idle_since, affinity, passed}`` (reserved: the agent's
static JSON and idle time before the script, the chosen customer's affinity value or false,
and ``passed``, the members of every contact that outranks the choice but the agent cannot
take, which is all ``routing.core.trace`` needs to explain the choice) or ``{0, reason, '',
version}`` (the agent is READY, nothing reserved: ``none`` fits, ``agent_unreachable``,
``agent_busy``); errors ``NOTFOUND``, ``STALE``, ``CONFLICT``, ``NOCFG``.
"""

from __future__ import annotations

READY_RESERVE = r"""
local now_s, id, expect, digest = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local k, max_k, top, expires = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
local now = tonumber(now_s)
local h = akey(id)
local f = redis.call('HMGET', h, 'state', 'version', 'data', 'reachable', 'contact',
  'idle_since')
if not f[1] then return redis.error_reply('NOTFOUND no agent ' .. id) end
if expect ~= '' and expect ~= f[2] then
  return redis.error_reply('STALE agent ' .. id .. ' is at version ' .. f[2] .. ', not ' .. expect)
end
if f[1] == 'reserved' or f[1] == 'on_call' then
  return redis.error_reply('CONFLICT agent ' .. id .. ' is ' .. f[1] .. ': not now')
end
local version = tonumber(f[2])

local function before(a, b)  -- a < b byte by byte (Lua's < follows the locale)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function replace(s, old, new)  -- every occurrence, plain text
  local out, i = {}, 1
  while true do
    local a, b = string.find(s, old, i, true)
    if not a then break end
    out[#out + 1] = string.sub(s, i, a - 1)
    out[#out + 1] = new
    i = b + 1
  end
  out[#out + 1] = string.sub(s, i)
  return table.concat(out)
end

local cfgkey, cfgs = P .. 'cfg:' .. digest, {}
local function cfg(name)
  local c = cfgs[name]
  if c == nil then
    local raw = redis.call('HGET', cfgkey, name)
    if not raw then return nil end
    c = cjson.decode(raw)
    cfgs[name] = c
  end
  return c
end

local risky, n_risky = {}, tonumber(ARGV[10])  -- services behind their service level
for i = 11, 10 + n_risky do risky[ARGV[i]] = true end
local best, best_score, best_at, missing = nil, 0, 0, nil
local seen, passed = {}, {}  -- passed: {member, score, entered_at, id} the agent cannot take
local data, mine, skills
if f[4] == '1' and f[5] == '' then
  data = cjson.decode(f[3])
  skills, mine = data.skills, {}
  for _, s in ipairs(data.services) do mine[s] = true end
end

-- routing.core.relax.resolve under the steps in force after waiting `wait`
local function requirements(s, d, wait)
  local levels = {}
  for sk, lv in pairs(s.requires) do levels[sk] = lv end
  if d.required then
    for sk, lv in pairs(d.required) do
      if (levels[sk] or 0) < lv then levels[sk] = lv end
    end
  end
  local target = d.service
  for _, st in ipairs(s.steps) do
    if st.always or (st.after and wait >= st.after) then
      if st.to then
        target = st.to
        levels = {}
        for sk, lv in pairs(st.to_requires) do levels[sk] = lv end
      end
      for _, sk in ipairs(st.drop) do levels[sk] = nil end
      for sk, lv in pairs(st.set) do
        if levels[sk] then levels[sk] = lv end
      end
      for _, pair in ipairs(st.add) do
        local sk = pair[1]
        local slot = string.find(sk, '{language}', 1, true)
        if not slot or d.language then
          if slot then sk = replace(sk, '{language}', d.language) end
          levels[sk] = pair[2]
        end
      end
    end
  end
  return levels, target
end

local function consider(m)
  local cid, _, rejected, raw = split_member(m)
  if seen[cid] then return end
  seen[cid] = true
  local d = cjson.decode(raw)
  local s = cfg(d.service)
  if not s then missing = d.service; return end
  -- routing.core.score.contact_rank, operation for operation
  local levels = s.priority + (d.priority or 0)
  if d.vip then levels = levels + s.vip_lift end
  if risky[d.service] then levels = levels + s.behind_lift end
  local at = d.entered_at
  local wait = now - at
  local window = s.window
  local late = window - (s.target - wait)
  if late < 0 then late = 0 elseif late > window then late = window end
  local score = levels * s.step + wait + s.gain * late
  if best and (score < best_score or (score == best_score and (at > best_at or
      (at == best_at and not before(cid, best))))) then
    return
  end
  local reqs, target = requirements(s, d, wait)
  local fits = mine[target]
  if fits and rejected ~= '[]' then
    for _, r in ipairs(cjson.decode(rejected)) do
      if r == id then fits = false end
    end
  end
  if fits then
    for sk, lv in pairs(reqs) do
      local have = skills[sk]
      if have == nil or have < lv then fits = false end
    end
  end
  if not fits then
    passed[#passed + 1] = {m, score, at, cid}
    return
  end
  best, best_score, best_at = cid, score, at
end

-- the members of one chunk, best first; true once the rest of the list cannot outrank the
-- best so far (index key + top below its score: the bound of routing.core.heads)
local function scan(got)
  for i = 1, #got, 2 do
    if best and -tonumber(got[i + 1]) + top < best_score then return true end
    consider(got[i])
    if missing then return true end
  end
  return false
end

if mine then
  local open, listed = {}, {}  -- lists that may hold more: {key, read so far}
  for name in pairs(mine) do
    listed[name] = true
    local c = cfg(name)
    if not c then return redis.error_reply('NOCFG no configuration for ' .. name) end
    for _, source in ipairs(c.from) do listed[source] = true end
  end
  for i = 11 + n_risky, #ARGV do listed[ARGV[i]] = true end
  for name in pairs(listed) do open[#open + 1] = name end
  table.sort(open)
  for i, name in ipairs(open) do  -- every list's head first: a good choice early prunes most
    local key = P .. 'w:' .. name
    local got = redis.call('ZRANGE', key, 0, k - 1, 'WITHSCORES')
    local done = scan(got) or #got / 2 < k or k >= max_k
    open[i] = not done and {key, k} or false
  end
  for _, list in ipairs(open) do
    if list and not missing then
      local key, pos, chunk = list[1], list[2], k
      while true do
        chunk = math.min(chunk * 2, max_k - pos)
        local got = redis.call('ZRANGE', key, pos, pos + chunk - 1, 'WITHSCORES')
        pos = pos + #got / 2
        if scan(got) or #got / 2 < chunk or pos >= max_k then break end
      end
    end
  end
  if missing then return redis.error_reply('NOCFG no configuration for ' .. missing) end
end

if not best then
  if f[1] ~= 'ready' then
    move(id, 'ready', '', now_s)
    version = version + 1
  end
  if mine then return {0, 'none', '', version} end
  if f[5] ~= '' then return {0, 'agent_busy', '', version} end
  return {0, 'agent_unreachable', '', version}
end
if f[1] ~= 'ready' then  -- READY then RESERVED: what agent_ready and reserve would write
  version = version + 1
  redis.call('HSET', h, 'idle_since', now_s, 'version', string.format('%d', version))
end
local ch = ckey(best)
local c = redis.call('HMGET', ch, 'queues', 'member')
local seq = redis.call('INCR', P .. 'seq')
for _, s in ipairs(cjson.decode(c[1])) do redis.call('ZREM', P .. 'w:' .. s, c[2]) end
redis.call('HSET', ch, 'phase', 'offered', 'agent', id, 'token', seq, 'offered_at', now_s,
  'expires', expires)
redis.call('ZADD', P .. 'resv', expires, best)
move(id, 'reserved', '', now_s, best)
local outranked = {}  -- passed over before the choice was found, yet above it
for _, p in ipairs(passed) do
  local score, at = p[2], p[3]
  if score > best_score or (score == best_score and (at < best_at or
      (at == best_at and before(p[4], best)))) then
    outranked[#outranked + 1] = p[1]
  end
end
local customer = member_customer(c[2])
local aff = customer ~= '' and redis.call('HGET', P .. 'aff', customer) or false
return {1, seq, c[2], version + 1, f[3], f[1] == 'ready' and f[6] or now_s, aff, outranked}
"""
