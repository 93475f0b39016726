-- higher-order-fold — Lua 5.4 port of ../higher-order-fold.sema: map,
-- filter and foldl over a 10,000-element list, 200 times, with closures and
-- named functions (for Sema's builtins + and even?) as the arguments.
--
-- Lists are cons cells as in Sema: a pair is a two-slot table {head, tail}
-- and the empty list is nil; range, map, filter, foldl, length, take, last
-- and nth are written over them (Sema's are builtins).

local function range(n)
  local l = nil
  for i = n - 1, 0, -1 do l = {i, l} end
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

local function filter(p, l)
  local head, last = nil, nil
  while l ~= nil do
    local x = l[1]
    if p(x) then
      local cell = {x, nil}
      if last == nil then head = cell else last[2] = cell end
      last = cell
    end
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

local function length(l)
  local n = 0
  while l ~= nil do n, l = n + 1, l[2] end
  return n
end

local function take(n, l)
  local head, last = nil, nil
  while n > 0 and l ~= nil do
    local cell = {l[1], nil}
    if last == nil then head = cell else last[2] = cell end
    last, l, n = cell, l[2], n - 1
  end
  return head
end

local function last(l)
  while l[2] ~= nil do l = l[2] end
  return l[1]
end

local function nth(l, k)
  for _ = 1, k do l = l[2] end
  return l[1]
end

local function show(l)
  local parts = {}
  while l ~= nil do parts[#parts + 1] = tostring(l[1]); l = l[2] end
  return "(" .. table.concat(parts, " ") .. ")"
end

local function add(a, b) return a + b end
local function is_even(x) return x % 2 == 0 end

local size = 10000
local rounds = 200
local numbers = range(size)

print("List size: " .. length(numbers) .. " elements")

-- One round of work; returns the results as a list.
local function one_round(xs)
  local sum = foldl(add, 0, xs)
  local doubled = map(function(x) return x * 2 end, xs)
  local evens = filter(is_even, xs)
  local big = filter(function(x) return x > 5000 end, doubled)
  local big_sum = foldl(function(acc, x) return acc + x end, 0, big)
  return {sum, {doubled, {length(evens), {big_sum, nil}}}}
end

local function run(n)
  local result = nil
  for _ = 1, n do
    result = one_round(numbers)
  end
  return result
end

local result = run(rounds)
local doubled = result[2][1]

print("Sum: " .. result[1])
print("First 5: " .. show(take(5, doubled)))
print("Last: " .. last(doubled))
print("Filtered count: " .. result[2][2][1])
print("Sum of doubled values above 5000: " .. nth(result, 3))
