-- recursive-closure-churn — Lua port of the reference implementation's
-- examples/benchmarks/recursive-closure-churn.sema (sema-lisp/sema): 300,000
-- calls that each create a self-recursive local function (a closure that
-- captures itself), call it, and drop it.  `run` stays a tail-recursive
-- function (Lua has proper tail calls).  The Sema program times itself with
-- sys/elapsed and prints fractional ms; this prints os.clock ms (the runner
-- ignores timing figures).  Lua 5.4 and LuaJIT 2.1.

print("=== Recursive Closure Churn Benchmark ===")

local function churn()
  local function loop(n)
    if n <= 0 then return 0 end
    return loop(n - 1)
  end
  return loop(3)
end

local function run(n, acc)
  if n <= 0 then return acc end
  return run(n - 1, acc + churn())
end

local iterations = 300000
local t0 = os.clock()
local result = run(iterations, 0)
local elapsed_ms = (os.clock() - t0) * 1000

print(string.format("Result: %d", result))
print(string.format("%d recursive-local-closure create+drop in %.3f ms", iterations, elapsed_ms))
