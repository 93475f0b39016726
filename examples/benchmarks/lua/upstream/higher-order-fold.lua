-- higher-order-fold — Lua port of the reference implementation's
-- examples/benchmarks/higher-order-fold.sema (sema-lisp/sema): foldl (500
-- rounds), map (200), filter (200) and map->filter->foldl (100) over the list
-- (range 10000), each with a closure argument.
--
-- Lists stay cons cells as in Sema: a pair is a two-slot table {head, tail},
-- the empty list nil; range, foldl, map, filter, length, take and last are
-- written here over them (Sema's are builtins), map and filter building
-- their result front to back.  Timing with os.clock (ignored by the runner).
-- Lua 5.4 and LuaJIT 2.1.

local function range(n)
  local l = nil
  for i = n - 1, 0, -1 do l = {i, l} end
  return l
end

local function foldl(f, acc, l)
  while l ~= nil do
    acc = f(acc, l[1])
    l = l[2]
  end
  return acc
end

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

local function filter(p, l)
  local head, last = nil, nil
  while l ~= nil do
    if p(l[1]) then
      local cell = {l[1], nil}
      if last == nil then head = cell else last[2] = cell end
      last = cell
    end
    l = l[2]
  end
  return head
end

local function length(l)
  local n = 0
  while l ~= nil do n, l = n + 1, l[2] end
  return n
end

local function last(l)
  while l[2] ~= nil do l = l[2] end
  return l[1]
end

-- The first n elements, printed as Sema prints a list: "(0 2 4 6 8)".
local function show_take(n, l)
  local parts = {}
  while l ~= nil and #parts < n do
    parts[#parts + 1] = string.format("%d", l[1])
    l = l[2]
  end
  return "(" .. table.concat(parts, " ") .. ")"
end

local function ms_since(t0) return math.floor((os.clock() - t0) * 1000) end

print("=== Higher-Order Fold Benchmark ===")
local big_list = range(10000)
print(string.format("List size: %d elements", length(big_list)))

print("")
print("Part 1: foldl sum — 500 iterations")
local t0 = os.clock()
local result_fold = 0
for _ = 1, 500 do result_fold = foldl(function(acc, x) return acc + x end, 0, big_list) end
local elapsed0 = ms_since(t0)
print(string.format("Result: %d", result_fold))
print(string.format("500 iterations in %d ms", elapsed0))

print("")
print("Part 2: map double — 200 iterations")
local t1 = os.clock()
local result_map = nil
for _ = 1, 200 do result_map = map(function(x) return x * 2 end, big_list) end
local elapsed1 = ms_since(t1)
print("First 5: " .. show_take(5, result_map))
print(string.format("Last: %d", last(result_map)))
print(string.format("200 iterations in %d ms", elapsed1))

print("")
print("Part 3: filter evens — 200 iterations")
local t2 = os.clock()
local result_filter = nil
for _ = 1, 200 do result_filter = filter(function(x) return x % 2 == 0 end, big_list) end
local elapsed2 = ms_since(t2)
print(string.format("Filtered count: %d", length(result_filter)))
print("First 5: " .. show_take(5, result_filter))
print(string.format("200 iterations in %d ms", elapsed2))

print("")
print("Part 4: Pipeline (map→filter→foldl) — 100 iterations")
local t3 = os.clock()
local result_pipeline = 0
for _ = 1, 100 do
  result_pipeline = foldl(function(acc, x) return acc + x end, 0,
    filter(function(x) return x > 5000 end,
      map(function(x) return x * 2 end, big_list)))
end
local elapsed3 = ms_since(t3)
print(string.format("Result: %d", result_pipeline))
print(string.format("100 iterations in %d ms", elapsed3))
