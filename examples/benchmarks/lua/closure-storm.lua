-- closure-storm — Lua 5.4 port of ../closure-storm.sema: closure creation
-- and invocation:
--   1. create and call 500,000 short-lived closures;
--   2. build a list of 5,000 closures and call every one (40 rounds);
--   3. compose freshly created closures 500,000 times.
--
-- Lists are cons cells as in Sema: a pair is a two-slot table {head, tail}
-- and the empty list is nil; range, map and foldl are written over them.

local function make_adder(n) return function(x) return x + n end end
local function make_scaler(k) return function(x) return x * k end end
local function compose(f, g) return function(x) return f(g(x)) end end

-- (range n): the list 0 .. n-1.
local function range(n)
  local l = nil
  for i = n - 1, 0, -1 do l = {i, l} end
  return l
end

-- map over a cons list, building the result front to back.
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

-- Phase 1: sum of ((make-adder i) i) = 2i for i below 500,000.
local function adder_storm(n)
  local sum = 0
  for i = 0, n - 1 do
    sum = sum + make_adder(i)(i)
  end
  return sum
end

print("Adder sum: " .. adder_storm(500000))

-- Phase 2: a list of 5,000 thunks, thunk i returning i; call them all.
local function make_thunks(n)
  return map(function(i) return function() return i end end, range(n))
end

local function call_all(thunks)
  return foldl(function(acc, thunk) return acc + thunk() end, 0, thunks)
end

local function list_storm(n, rounds)
  local result = 0
  for _ = 1, rounds do
    result = call_all(make_thunks(n))
  end
  return result
end

print("Closure list sum: " .. list_storm(5000, 40))

-- Phase 3: h = (compose (scale by 2) (add 1)) built anew for every i;
-- sum of h(i) = 2(i + 1) for i below 500,000.
local function compose_storm(n)
  local sum = 0
  for i = 0, n - 1 do
    local h = compose(make_scaler(2), make_adder(1))
    sum = sum + h(i)
  end
  return sum
end

print("Composed sum: " .. compose_storm(500000))
