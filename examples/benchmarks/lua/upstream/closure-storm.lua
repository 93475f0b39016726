-- closure-storm — Lua port of the reference implementation's
-- examples/benchmarks/closure-storm.sema (sema-lisp/sema): 500,000 closures
-- created and called at once; 10 rounds of building a list of 5,000
-- closures and calling them all; 500,000 calls of a composed closure.
-- Closures stay closures, the list of closures is a cons list ({head, tail}
-- tables, nil the empty list) as in Sema; named-let loops become loops.
-- Timing with os.clock (ignored by the runner).  Lua 5.4 and LuaJIT 2.1.

local function ms_since(t0) return math.floor((os.clock() - t0) * 1000) end

print("=== Closure Storm Benchmark ===")
print("Part 1: Create + immediate call (500,000 iterations)")
local t0 = os.clock()
local acc = 0
for i = 0, 499999 do
  local f = function(x) return x + i end
  acc = acc + f(i)
end
local elapsed1 = ms_since(t0)
print(string.format("Result: %d", acc))
print(string.format("500,000 create+call in %d ms", elapsed1))

print("")
print("Part 2: Build list of 5,000 closures, call all, repeat 10 times")

local function build_closures(n)
  local l = nil
  for i = 0, n - 1 do l = {function() return i end, l} end
  return l
end

local function call_all(cs)
  local sum = 0
  while cs ~= nil do
    sum = sum + cs[1]()
    cs = cs[2]
  end
  return sum
end

local t1 = os.clock()
local result2 = 0
for _ = 1, 10 do result2 = call_all(build_closures(5000)) end
local elapsed2 = ms_since(t1)
print(string.format("Result: %d", result2))
print(string.format("10 iterations (50,000 closures total) in %d ms", elapsed2))

print("")
print("Part 3: Closure composition chain (500,000 iterations)")

local function compose(f, g)
  return function(x) return f(g(x)) end
end

local inc = function(x) return x + 1 end
local dbl = function(x) return x * 2 end
local inc_then_dbl = compose(dbl, inc)

local t2 = os.clock()
acc = 0
for i = 0, 499999 do acc = acc + inc_then_dbl(i) end
local elapsed3 = ms_since(t2)
print(string.format("Result: %d", acc))
print(string.format("500,000 composed closure calls in %d ms", elapsed3))
