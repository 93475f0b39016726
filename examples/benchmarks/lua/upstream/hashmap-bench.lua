-- hashmap-bench — Lua port of the reference implementation's
-- examples/benchmarks/hashmap-bench.sema (sema-lisp/sema): building maps of
-- 10, 100 and 1,000 symbol keys, lookups (hits and misses), a keyword used
-- as a function, assoc and dissoc, each timed over a fixed number of
-- iterations and printed as "  NAME: T ms (N iterations)".
--
-- Both of Sema's maps (the sorted map {} and hashmap/new) become Lua
-- tables; symbol keys k0, k1, ... become strings.  Sema's maps are
-- persistent.  When building, the old version is never used again, so the
-- port stores into one fresh table; assoc and dissoc on a map that is kept
-- (bt10, hm100, ...) copy it first, since the Sema program gets a new map
-- and keeps the old one.  Timing with os.clock (ignored by the runner).
-- Lua 5.4 and LuaJIT 2.1.

local function bench(name, thunk, iterations)
  local t0 = os.clock()
  for _ = 1, iterations do thunk() end
  local elapsed = math.floor((os.clock() - t0) * 1000)
  print(string.format("  %s: %d ms (%d iterations)", name, elapsed, iterations))
end

local function build_map(n)
  local m = {}
  for i = 0, n - 1 do m["k" .. tostring(i)] = i end
  return m
end

local build_btreemap, build_hashmap = build_map, build_map

local function assoc(m, k, v)
  local copy = {}
  for key, value in pairs(m) do copy[key] = value end
  copy[k] = v
  return copy
end

local function dissoc(m, k)
  local copy = {}
  for key, value in pairs(m) do
    if key ~= k then copy[key] = value end
  end
  return copy
end

print("=== HashMap Benchmark ===")
print("Part 1: Map construction")
bench("BTreeMap build 10 keys", function() return build_btreemap(10) end, 100000)
bench("HashMap build 10 keys", function() return build_hashmap(10) end, 100000)
bench("BTreeMap build 100 keys", function() return build_btreemap(100) end, 10000)
bench("HashMap build 100 keys", function() return build_hashmap(100) end, 10000)
bench("BTreeMap build 1000 keys", function() return build_btreemap(1000) end, 100)
bench("HashMap build 1000 keys", function() return build_hashmap(1000) end, 100)

print("")
print("Part 2: Lookups")
local bt10, hm10 = build_btreemap(10), build_hashmap(10)
local bt100, hm100 = build_btreemap(100), build_hashmap(100)
bench("BTreeMap get hit (10 keys)", function() return bt10.k5 end, 200000)
bench("HashMap get hit (10 keys)", function() return hm10.k5 end, 200000)
bench("BTreeMap get hit (100 keys)", function() return bt100.k50 end, 200000)
bench("HashMap get hit (100 keys)", function() return hm100.k50 end, 200000)
bench("BTreeMap get miss", function() return bt100.missing end, 200000)
bench("HashMap get miss", function() return hm100.missing end, 200000)

print("")
print("Part 3: Keyword-as-function lookup")
local kw_map = {a = 1, b = 2, c = 3, d = 4, e = 5}
bench("keyword-as-fn (:c map)", function() return kw_map.c end, 200000)

print("")
print("Part 4: assoc (immutable update)")
bench("BTreeMap assoc (10 keys)", function() return assoc(bt10, "k5", 99) end, 200000)
bench("HashMap assoc (10 keys)", function() return assoc(hm10, "k5", 99) end, 200000)
bench("BTreeMap assoc (100 keys)", function() return assoc(bt100, "k50", 99) end, 100000)
bench("HashMap assoc (100 keys)", function() return assoc(hm100, "k50", 99) end, 100000)

print("")
print("Part 5: dissoc")
bench("BTreeMap dissoc (100 keys)", function() return dissoc(bt100, "k50") end, 100000)
bench("HashMap dissoc (100 keys)", function() return dissoc(hm100, "k50") end, 100000)
