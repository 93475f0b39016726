-- tak — Lua port of the reference implementation's
-- examples/benchmarks/tak.sema (sema-lisp/sema): (tak 18 12 6) 500 times,
-- printing the result and a timing line (os.clock, CPU time; the runner
-- ignores timing figures).  Plain Lua 5.4 that also runs under LuaJIT 2.1.

local function tak(x, y, z)
  if not (y < x) then return z end
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))
end

print("=== TAK Benchmark ===")
print("(tak 18 12 6) — deep recursive calls")

local t0 = os.clock()
local v = 0
for _ = 1, 500 do v = tak(18, 12, 6) end
local elapsed = math.floor((os.clock() - t0) * 1000)

print(string.format("Result: %d", v))
print(string.format("500 iterations in %d ms", elapsed))
