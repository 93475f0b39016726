-- upvalue-counter — Lua port of the reference implementation's
-- examples/benchmarks/upvalue-counter.sema (sema-lisp/sema): 2,000,000 calls
-- each of a closure that increments its captured counter, a closure reading
-- a captured value, and one reading two levels of captures.  Closures stay
-- closures; the named-let loops become for loops.  Timing with os.clock
-- (ignored by the runner).  Lua 5.4 and LuaJIT 2.1.

local function ms_since(t0) return math.floor((os.clock() - t0) * 1000) end

print("=== Upvalue Counter Benchmark ===")
print("Part 1: Mutable captured counter via set!")

local function make_counter()
  local count = 0
  return function()
    count = count + 1
    return count
  end
end

local counter = make_counter()
local t0 = os.clock()
for _ = 1, 2000000 do counter() end
local elapsed1 = ms_since(t0)
print(string.format("Final count: %d", counter()))
print(string.format("2,000,000 set! upvalue calls in %d ms", elapsed1))

print("")
print("Part 2: Read-only captured variable")

local function make_adder(n)
  return function(x) return x + n end
end

local add42 = make_adder(42)
local t1 = os.clock()
local acc = 0
for i = 0, 1999999 do acc = acc + add42(i) end
local elapsed2 = ms_since(t1)
print(string.format("Result: %d", acc))
print(string.format("2,000,000 read-only upvalue calls in %d ms", elapsed2))

print("")
print("Part 3: Nested upvalue capture (2 levels)")

local function make_nested(a)
  local b = 100
  return function(x)
    local c = a * b
    return c + x
  end
end

local nested_fn = make_nested(3)
local t2 = os.clock()
acc = 0
for i = 0, 1999999 do acc = acc + nested_fn(i) end
local elapsed3 = ms_since(t2)
print(string.format("Result: %d", acc))
print(string.format("2,000,000 nested upvalue calls in %d ms", elapsed3))
