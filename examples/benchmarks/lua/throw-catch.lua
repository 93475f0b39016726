-- throw-catch — Lua 5.4 port of ../throw-catch.sema: non-local exits:
--   1. throw and catch the loop index 100,000 times;
--   2. enter a protected call that does not throw, 1,000,000 times;
--   3. throw a list from 3 frames deep, catch it, rethrow a new list, catch
--      again (100,000 times, two throws each);
--   4. catch 10,000 runtime errors (division by zero) among 100,000 tries.
--
-- (try BODY (catch e HANDLER)) becomes `pcall(f, args...)` followed by the
-- handler when pcall reports an error.  A try body that needs only the loop
-- variables is a top-level function taking them as arguments, so no closure
-- is created per try (Sema's try creates none either).  (throw v) raises a
-- fresh error table {type = "user", value = v}, like Sema's error map; the
-- division by zero is Lua's integer `//`, whose error is a message string.
-- Lua 5.4 only: LuaJIT has neither `//` nor an error for division by zero.
--
-- Lists are cons cells as in Sema: a pair is a two-slot table {head, tail}
-- and the empty list is nil.

local function throw(v) error({type = "user", value = v}, 0) end

-- Phase 1: sum of the caught values i for i below n.
local function catch_values(n)
  local sum = 0
  for i = 0, n - 1 do
    local ok, e = pcall(throw, i)
    sum = sum + (ok and e or e.value)
  end
  return sum
end

print("Caught values sum: " .. catch_values(100000))

-- Phase 2: the protected body returns normally; sum of i for i below n.
local function identity(x) return x end

local function no_throw(n)
  local sum = 0
  for i = 0, n - 1 do
    local ok, v = pcall(identity, i)
    if not ok then error(v, 0) end
    sum = sum + v
  end
  return sum
end

print("No-throw sum: " .. no_throw(1000000))

-- Phase 3: iteration i throws the five numbers 5i .. 5i+4 as a list; the
-- handler rethrows them each plus one, so the outer handlers see every number
-- from 1 to 5n exactly once.  Result: the sum of 1 .. 500,000.
local function range(from, to)
  local l = nil
  for i = to - 1, from, -1 do l = {i, l} end
  return l
end

local function map(f, l)
  if l == nil then return nil end
  local head = {f(l[1]), nil}
  local last = head
  l = l[2]
  while l ~= nil do
    local cell = {f(l[1]), nil}
    last[2] = cell
    last = cell
    l = l[2]
  end
  return head
end

local function foldl(f, acc, l)
  while l ~= nil do
    acc = f(acc, l[1])
    l = l[2]
  end
  return acc
end

local function thrower(depth, v)
  if depth == 0 then
    throw(v)
  end
  return 1 + thrower(depth - 1, v)
end

local function rethrow_incremented(batch)
  local ok, v = pcall(thrower, 3, batch)
  if ok then return v end
  throw(map(function(x) return x + 1 end, v.value))
end

local function add(a, b) return a + b end
local function sum_list(xs) return foldl(add, 0, xs) end

local function rethrows(n)
  local sum = 0
  for i = 0, n - 1 do
    local batch = range(5 * i, 5 * i + 5)
    local ok, v = pcall(rethrow_incremented, batch)
    sum = sum + (ok and v or sum_list(v.value))
  end
  return sum
end

print("Rethrown sum: " .. rethrows(100000))

-- Phase 4: every tenth i divides by zero; count the caught runtime errors
-- (Lua reports them as strings, user throws as tables).
local function risky(i)
  if i % 10 == 0 then return i // 0 end
  return i
end

local function risky_or_zero(i)
  risky(i)
  return 0
end

local function runtime_errors(n)
  local count = 0
  for i = 0, n - 1 do
    local ok, v = pcall(risky_or_zero, i)
    if ok then
      count = count + v
    elseif type(v) == "string" then
      count = count + 1
    end
  end
  return count
end

print("Runtime errors caught: " .. runtime_errors(100000))
