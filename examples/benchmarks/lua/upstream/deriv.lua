-- deriv — Lua port of the reference implementation's
-- examples/benchmarks/deriv.sema (sema-lisp/sema), Gabriel's symbolic
-- derivative: print the expression and its derivative, then 250,000
-- derivations (50,000 rounds of 5).
--
-- Lists stay cons cells as in Sema: a pair is a two-slot table {head, tail},
-- the empty list nil, with `list` and `map` written over them.  Symbols
-- become Lua strings (interned, compared by ==), numbers stay numbers.  The
-- quoted expression is built once, as a constant.  Timing with os.clock
-- (ignored by the runner).  Lua 5.4 and LuaJIT 2.1.

local function list(...)
  local items, l = {...}, nil
  for i = select("#", ...), 1, -1 do l = {items[i], l} end
  return l
end

local function cons(a, d) return {a, d} end

local function map(f, l)
  local head, last = nil, nil
  while l ~= nil do
    local cell = {f(l[1]), nil}
    if last == nil then head = cell else last[2] = cell end
    last = cell
    l = l[2]
  end
  return head
end

local deriv

local function deriv_aux(a) return list("/", deriv(a), a) end

deriv = function(a)
  if type(a) ~= "table" then
    if a == "x" then return 1 else return 0 end
  end
  local op = a[1]
  if op == "+" then return cons("+", map(deriv, a[2])) end
  if op == "-" then return cons("-", map(deriv, a[2])) end
  if op == "*" then return list("*", a, cons("+", map(deriv_aux, a[2]))) end
  if op == "/" then
    local u, v = a[2][1], a[2][2][1]
    return list("-", list("/", deriv(u), v), list("/", u, list("*", v, v, deriv(v))))
  end
  return "error"
end

-- Sema's printed form of a list, symbol or integer.
local function show(x)
  if type(x) == "table" then
    local parts = {}
    while x ~= nil do
      parts[#parts + 1] = show(x[1])
      x = x[2]
    end
    return "(" .. table.concat(parts, " ") .. ")"
  elseif type(x) == "number" then
    return string.format("%d", x)
  end
  return x
end

local test_expr = list("+", list("*", 3, "x", "x"), list("*", "a", "x", "x"),
                       list("*", "b", "x"), 5)

print("=== DERIV Benchmark ===")
print("Expression: " .. show(test_expr))
print("Derivative: " .. show(deriv(test_expr)))
print("")

local t0 = os.clock()
for _ = 1, 50000 do
  deriv(test_expr)
  deriv(test_expr)
  deriv(test_expr)
  deriv(test_expr)
  deriv(test_expr)
end
local elapsed = math.floor((os.clock() - t0) * 1000)
print(string.format("250000 derivations in %d ms", elapsed))
