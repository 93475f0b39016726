-- deriv — Lua 5.4 port of ../deriv.sema: symbolic differentiation in the
-- style of the Gabriel benchmark; builds many small lists and dispatches on
-- symbols.
--
-- Lists are cons cells as in Sema: a pair is a two-slot table {head, tail}
-- and the empty list is nil.  Symbols are Lua strings (interned, so `==` is
-- a pointer comparison like Sema's symbol equality); numbers are integers.
--
-- Rules (d = derivative with respect to x):
--   d(x) = 1, d(any other atom) = 0
--   d(+ a b ...) = (+ da db ...)          d(- a b ...) = (- da db ...)
--   d(* a b ...) = (* (* a b ...) (+ (/ da a) (/ db b) ...))
--   d(/ a b)     = (- (/ da b) (/ a (* b b db)))

local function cons(h, t) return {h, t} end

-- (list a b ...) for the arities the program uses.
local function list3(a, b, c) return {a, {b, {c, nil}}} end
local function list4(a, b, c, d) return {a, {b, {c, {d, nil}}}} end
local function list5(a, b, c, d, e) return {a, {b, {c, {d, {e, nil}}}}} end

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

local function show(v)
  if type(v) ~= "table" then return tostring(v) end
  local parts = {}
  while v ~= nil do
    parts[#parts + 1] = show(v[1])
    v = v[2]
  end
  return "(" .. table.concat(parts, " ") .. ")"
end

local function deriv(e)
  if type(e) ~= "table" then
    if e == "x" then return 1 else return 0 end
  end
  local op, args = e[1], e[2]
  if op == "+" then
    return cons("+", map(deriv, args))
  elseif op == "-" then
    return cons("-", map(deriv, args))
  elseif op == "*" then
    return list3("*", e, cons("+", map(function(f) return list3("/", deriv(f), f) end, args)))
  elseif op == "/" then
    local num, den = args[1], args[2][1]
    return list3("-",
                 list3("/", deriv(num), den),
                 list3("/", num, list4("*", den, den, deriv(den))))
  else
    error("deriv: unknown operator " .. tostring(op))
  end
end

local expression = list5("+", list4("*", 3, "x", "x"), list4("*", "a", "x", "x"),
                         list3("*", "b", "x"), 5)

local function run(times)
  local result = nil
  for _ = 1, times do
    result = deriv(expression)
  end
  return result
end

print("Derivative: " .. show(run(250000)))
