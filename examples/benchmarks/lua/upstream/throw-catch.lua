-- throw-catch — Lua port of the reference implementation's
-- examples/benchmarks/throw-catch.sema (sema-lisp/sema): 100,000 caught
-- throws, 1,000,000 trys throwing once in 1,000, 500,000 trys that never
-- throw, 10,000 throws caught 50 frames up.
--
-- (try BODY (catch e HANDLER)) becomes pcall of a closure holding BODY, and
-- (throw v) becomes error({value = v}) — Sema hands the handler a map whose
-- :value is the thrown value, so the port throws such a table too.  Timing
-- with os.clock (ignored by the runner).  Lua 5.4 and LuaJIT 2.1.

local function ms_since(t0) return math.floor((os.clock() - t0) * 1000) end

local function try(body, handler)
  local ok, v = pcall(body)
  if ok then return v end
  return handler(v)
end

local function throw(v) error({value = v}) end
local function value_of(e) return e.value end

print("=== Throw/Catch Benchmark ===")
print("Part 1: Hot path — throw+catch every iteration (100,000 iterations)")
local t0 = os.clock()
local acc = 0
for i = 0, 99999 do
  acc = acc + try(function() throw(i) end, value_of)
end
local elapsed1 = ms_since(t0)
print(string.format("Result: %d", acc))
print(string.format("100,000 throw+catch in %d ms", elapsed1))

print("")
print("Part 2: Cold path — throw 1-in-1000 (1,000,000 iterations)")
local t1 = os.clock()
acc = 0
for i = 0, 999999 do
  acc = acc + try(function()
    if i % 1000 == 0 then throw(i) end
    return i
  end, value_of)
end
local elapsed2 = ms_since(t1)
print(string.format("Result: %d", acc))
print(string.format("1,000,000 iterations (1000 throws) in %d ms", elapsed2))

print("")
print("Part 3: Try with no throw — measuring try block overhead (500,000 iterations)")
local t2 = os.clock()
acc = 0
for i = 0, 499999 do
  acc = acc + try(function() return i + 1 end, function(e) return 0 end)
end
local elapsed3 = ms_since(t2)
print(string.format("Result: %d", acc))
print(string.format("500,000 try (no throw) in %d ms", elapsed3))

print("")
print("Part 4: Deep stack unwind — throw at depth 50 (10,000 iterations)")

local function deep_throw(depth)
  if depth == 0 then throw("bottom") end
  return 1 + deep_throw(depth - 1)
end

local t3 = os.clock()
acc = 0
for _ = 0, 9999 do
  acc = acc + try(function() return deep_throw(50) end, function(e) return 1 end)
end
local elapsed4 = ms_since(t3)
print(string.format("Result: %d", acc))
print(string.format("10,000 deep unwinds (depth 50) in %d ms", elapsed4))
