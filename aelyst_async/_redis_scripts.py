"""The Lua scripts of :class:`aelyst_async.redis.RedisLimitStore` (Redis >= 5).

Times are microseconds of the Redis server's clock (``TIME``); each script reads it once. See
:mod:`aelyst_async.redis` for the GCRA they implement and the keys they keep.
"""

_CLOCK = """
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local function fmt(us) return string.format('%.0f', us) end
local function ms(us) return math.max(1, math.ceil(us / 1000)) end
"""

RESERVE = (
    _CLOCK
    + """
-- KEYS: 1 path budget (TAT), 2 workspace budget (hash: tat, step), 3 pause (its end),
--       4 sent log (sorted set: slot -> sequence number), 5 sequence
-- ARGV: 1 path interval, 2 workspace interval (0: the caller knows no workspace rate),
--       3 period
-- Returns the wait before sending (microseconds, as a string).
local path_step, ws_step, period = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if ws_step <= 0 then ws_step = tonumber(redis.call('HGET', KEYS[2], 'step')) or 0 end
local at = now
local function later(value)
  value = tonumber(value)
  if value and value > at then at = value end
end
later(redis.call('GET', KEYS[3]))
later(redis.call('GET', KEYS[1]))
if ws_step > 0 then later(redis.call('HGET', KEYS[2], 'tat')) end
redis.call('SET', KEYS[1], fmt(at + path_step), 'PX', ms(at + path_step - now + period))
if ws_step > 0 then
  redis.call('HSET', KEYS[2], 'tat', fmt(at + ws_step))
  redis.call('HSET', KEYS[2], 'step', string.format('%.3f', ws_step))
  redis.call('PEXPIRE', KEYS[2], ms(at + ws_step - now + period))
end
redis.call('ZADD', KEYS[4], fmt(at), redis.call('INCR', KEYS[5]))
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. fmt(now - 2 * period))
local keep = ms(at - now + 2 * period)
for _, key in ipairs({KEYS[4], KEYS[5]}) do
  if redis.call('PTTL', key) < keep then redis.call('PEXPIRE', key, keep) end
end
return fmt(at - now)
"""
)

PAUSE = (
    _CLOCK
    + """
-- KEYS: 1 pause (its end); ARGV: 1 seconds from now (microseconds). Only ever extends.
local till = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]))
if current and current >= till then return 0 end
redis.call('SET', KEYS[1], fmt(till), 'PX', ms(till - now))
return 1
"""
)

WARM_UP = (
    _CLOCK
    + """
-- KEYS: 1 warm-up bucket (its TAT), 2 pause (its end)
-- ARGV: 1 interval, 2 tolerance (burst - 1 intervals), 3 period (microseconds)
-- Takes a token when the bucket has one and no pause holds: returns 0; else the wait before
-- asking again (microseconds, as a string), nothing taken.
local step, tolerance, period = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local pause = tonumber(redis.call('GET', KEYS[2]))
if pause and pause > now then return fmt(pause - now) end
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if tat - tolerance > now then return fmt(tat - tolerance - now) end
redis.call('SET', KEYS[1], fmt(tat + step), 'PX', ms(tat + step - now + period))
return '0'
"""
)

BOOKED = (
    _CLOCK
    + """
-- KEYS: 1 sent log; ARGV: 1 window, 2 how long ago it ended (microseconds).
-- Returns the requests with a slot in (end - window, end], end = now - ago.
local stop = now - tonumber(ARGV[2])
return redis.call('ZCOUNT', KEYS[1], '(' .. fmt(stop - tonumber(ARGV[1])), fmt(stop))
"""
)

GET_LIMIT = """
-- KEYS: 1 learned limit; ARGV: 1 time to live (ms), renewed by every read.
local value = redis.call('GET', KEYS[1])
if value then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value
"""
