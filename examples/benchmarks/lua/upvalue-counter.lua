-- upvalue-counter — Lua 5.4 port of ../upvalue-counter.sema: access to
-- captured variables (upvalues) in hot loops:
--   1. a closure that assigns its captured counter, called 2,000,000 times;
--   2. a closure that only reads a captured constant;
--   3. a closure that reads variables captured from two enclosing functions.

local iterations = 2000000

-- Phase 1: mutable upvalue.
local function make_counter(start)
  local count = start
  return function()
    count = count + 1
    return count
  end
end

local function run_counter(n)
  local next_ = make_counter(1)
  local last = 0
  for _ = 0, n - 1 do
    last = next_()
  end
  return last
end

print("Final count: " .. run_counter(iterations))

-- Phase 2: read-only upvalue.  Sum of (i + 42) for i below n.
local function run_read_only(n)
  local offset = 42
  local shift = function(i) return i + offset end
  local sum = 0
  for i = 0, n - 1 do
    sum = sum + shift(i)
  end
  return sum
end

print("Read-only sum: " .. run_read_only(iterations))

-- Phase 3: nested capture: the innermost closure reads `a` from the outermost
-- function and `b` from the middle one.
local function make_nested(a)
  return function(b)
    return function(i) return i + a + b end
  end
end

local function run_nested(n)
  local shift = make_nested(100)(200)
  local sum = 0
  for i = 0, n - 1 do
    sum = sum + shift(i)
  end
  return sum
end

print("Nested sum: " .. run_nested(iterations))
