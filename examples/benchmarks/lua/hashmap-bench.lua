-- hashmap-bench — Lua 5.4 port of ../hashmap-bench.sema: a hash map used as
-- a table:
--   1. insert 100,000 integer keys;
--   2. look every key up (5 passes), plus a pass over all candidate keys
--      counting hits and misses;
--   3. update half of the entries, remove a third of them;
--   4. insert and look up 20,000 string keys.
--
-- Sema's persistent hashmap becomes a Lua table.  Lua tables are mutable,
-- so where the Sema program keeps using the old version of a map after
-- deriving a new one (`table` after update-evens, `updated` after
-- remove-thirds) the port copies the table once and mutates the copy; Sema
-- shares structure instead.  Lua tables do not know their entry count, so
-- `length` counts with pairs (Sema's is a field read).

local n = 100000
local modulus = 100003                  -- prime, so key_of is one-to-one below it

local function println(...)
  local parts = {...}
  for i = 1, select("#", ...) do parts[i] = tostring(parts[i]) end
  io.write(table.concat(parts, " "), "\n")
end

-- Keys are scattered over [0, modulus): i * 7919 mod 100003.
local function key_of(i) return (i * 7919) % modulus end
local function value_of(i) return i * 3 end

local function size(m)
  local count = 0
  for _ in pairs(m) do count = count + 1 end
  return count
end

local function copy(m)
  local c = {}
  for k, v in pairs(m) do c[k] = v end
  return c
end

local function build(count)
  local m = {}
  for i = 0, count - 1 do
    m[key_of(i)] = value_of(i)
  end
  return m
end

local tbl = build(n)
println("Inserted:", size(tbl), "keys")

-- Checksum: sum of value * (key mod 1000) over i below n.
local function checksum(m, count)
  local acc = 0
  for i = 0, count - 1 do
    local k = key_of(i)
    acc = acc + m[k] * (k % 1000)
  end
  return acc
end

local function repeat_checksum(m, count, passes)
  local result = 0
  for _ = 1, passes do
    result = checksum(m, count)
  end
  return result
end

println("Lookup checksum:", repeat_checksum(tbl, n, 5))

-- Every candidate key below the modulus: 100,000 hits and 3 misses.
local function hits_and_misses(m)
  local hits, misses = 0, 0
  for k = 0, modulus - 1 do
    if m[k] == nil then misses = misses + 1 else hits = hits + 1 end
  end
  return hits, misses
end

local hits, misses = hits_and_misses(tbl)
println("Hits:", hits, "Misses:", misses)

-- Add 1 to the value of every even i (on a copy: `tbl` is used again below).
local function update_evens(m, count)
  for i = 0, count - 1, 2 do
    local k = key_of(i)
    m[k] = m[k] + 1
  end
  return m
end

local updated = update_evens(copy(tbl), n)
println("Updated checksum:", checksum(updated, n))

-- Remove the keys of every i divisible by 3 (on a copy, as above).
local function remove_thirds(m, count)
  for i = 0, count - 1, 3 do
    m[key_of(i)] = nil
  end
  return m
end

local trimmed = remove_thirds(copy(updated), n)

local function sum_present(m, count)
  local acc = 0
  for i = 0, count - 1 do
    acc = acc + (m[key_of(i)] or 0)
  end
  return acc
end

println("After dissoc:", size(trimmed), "keys, value sum", sum_present(trimmed, n))
println("Original unchanged:", size(tbl), "keys, value sum", sum_present(tbl, n))

-- String keys.
local string_count = 20000
local function name_of(i) return "user-" .. i end

local names = {}
for i = 0, string_count - 1 do
  names[name_of(i)] = i * i
end

local function string_checksum(m, count)
  local acc = 0
  for i = 0, count - 1 do
    acc = acc + m[name_of(i)] % 1000003
  end
  return acc
end

println("String keys:", size(names), "checksum", string_checksum(names, string_count))
