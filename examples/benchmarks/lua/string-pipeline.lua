-- string-pipeline — Lua 5.4 port of ../string-pipeline.sema: text
-- processing: string.format to build 20,000 CSV-like lines, join and split
-- to assemble and take apart the text, tonumber to parse fields, split+join
-- as a replace-all, upcasing through a list of characters, a word count in a
-- table and tostring/tonumber round trips.  The whole pipeline runs 3 times;
-- the last run's results are printed.
--
-- Lists are cons cells as in Sema: a pair is a two-slot table {head, tail}
-- and the empty list is nil; split returns such a list and join takes one.
-- Characters are integer code points (string/to-list = utf8.codes,
-- list->string = utf8.char); the text is ASCII, so char/upcase and
-- char/alphabetic? are the ASCII rules and string lengths are byte counts.
-- LuaJIT has no utf8 library: there (only) bytes stand in for code points,
-- which is the same thing for this ASCII text.

local function println(...)
  local parts = {...}
  for i = 1, select("#", ...) do parts[i] = tostring(parts[i]) end
  io.write(table.concat(parts, " "), "\n")
end

local function cons(h, t) return {h, t} end

local codes_of = utf8 and utf8.codes or function(s)      -- see the header
  local i = 0
  return function()
    i = i + 1
    if i <= #s then return i, string.byte(s, i) end
  end
end
local string_of_codes = utf8 and utf8.char or string.char
local unpack = table.unpack or unpack

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

local function nth(l, k)
  for _ = 1, k do l = l[2] end
  return l[1]
end

-- (string/split s sep): the pieces of s between occurrences of sep (plain text).
local function split(s, sep)
  local head, last = nil, nil
  local start, seplen = 1, #sep
  while true do
    local i = string.find(s, sep, start, true)
    local cell = {string.sub(s, start, (i or 0) - 1), nil}
    if last == nil then head = cell else last[2] = cell end
    last = cell
    if not i then return head end
    start = i + seplen
  end
end

-- (string/join list sep)
local function join(l, sep)
  local parts, n = {}, 0
  while l ~= nil do
    n = n + 1
    parts[n] = l[1]
    l = l[2]
  end
  return table.concat(parts, sep)
end

-- (string/to-list s): a list of code points.
local function to_list(s)
  local head, last = nil, nil
  for _, c in codes_of(s) do
    local cell = {c, nil}
    if last == nil then head = cell else last[2] = cell end
    last = cell
  end
  return head
end

-- (list->string l)
local function list_to_string(l)
  local codes, n = {}, 0
  while l ~= nil do
    n = n + 1
    codes[n] = l[1]
    l = l[2]
  end
  return string_of_codes(unpack(codes, 1, n))
end

local function char_upcase(c)
  if c >= 97 and c <= 122 then return c - 32 end
  return c
end

local function char_alphabetic(c)
  return (c >= 65 and c <= 90) or (c >= 97 and c <= 122)
end

local words = cons("alpha", cons("bravo", cons("charlie", cons("delta",
              cons("echo", cons("foxtrot", cons("golf", cons("hotel", nil))))))))
local line_count = 20000
local rounds = 3

-- Line i looks like "charlie-2,74,5".
local function make_line(i)
  return string.format("%s-%d,%d,%d", nth(words, i % 8), i, (i * 37) % 101, (i * 13) % 7)
end

local function make_text(n)
  local acc = nil
  for i = n - 1, 0, -1 do
    acc = cons(make_line(i), acc)
  end
  return join(acc, "\n")
end

-- Sum over lines of quantity * weight (the 2nd and 3rd fields).
local function weighted_total(rows)
  return foldl(function(acc, fields)
                 return acc + tonumber(fields[2][1]) * tonumber(fields[2][2][1])
               end, 0, rows)
end

-- Replace every "," by " | " using split + join; total length of the results.
local function replace_all(s, old, new) return join(split(s, old), new) end

local function replaced_length(lines)
  return foldl(function(acc, line) return acc + #replace_all(line, ",", " | ") end, 0, lines)
end

local function upcase(s) return list_to_string(map(char_upcase, to_list(s))) end

-- Sum of the code points of the upcased first fields, and how many letters
-- (the accumulator is a fresh two-element list per character, as in Sema).
local function char_stats(names)
  return foldl(function(acc, name)
                 return foldl(function(acc2, c)
                                return cons(acc2[1] + c,
                                            cons(char_alphabetic(c) and acc2[2][1] + 1 or acc2[2][1], nil))
                              end, acc, to_list(upcase(name)))
               end, cons(0, cons(0, nil)), names)
end

-- Occurrences of each word (the part of the first field before "-").
local function word_frequencies(names)
  return foldl(function(m, name)
                 local w = split(name, "-")[1]
                 m[w] = (m[w] or 0) + 1
                 return m
               end, {}, names)
end

local function show_frequencies(m)
  local keys = {}
  for k in pairs(m) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for i, w in ipairs(keys) do parts[i] = w .. "=" .. m[w] end
  return table.concat(parts, " ")
end

-- How many numbers survive tostring -> tonumber unchanged.
local function round_trips(n)
  local ok = 0
  for i = 0, n - 1 do
    local v = i * 7919 - 50000000
    if tonumber(tostring(v)) == v then ok = ok + 1 end
  end
  return ok
end

-- The ten results come back in an array (a list in the Sema program).
local function pipeline()
  local text = make_text(line_count)
  local lines = split(text, "\n")
  local rows = map(function(line) return split(line, ",") end, lines)
  local names = map(function(r) return r[1] end, rows)
  local stats = char_stats(names)
  local sample = nth(rows, 12345)
  return {#text,
          length(lines),
          foldl(function(acc, r) return acc + length(r) end, 0, rows),
          weighted_total(rows),
          replaced_length(lines),
          stats[1],
          stats[2][1],
          show_frequencies(word_frequencies(names)),
          round_trips(line_count),
          upcase(sample[1]) .. " | " .. join(sample[2], " | ")}
end

local r
for _ = 1, rounds do
  r = pipeline()
end

println("Text length:", r[1])
println("Lines:", r[2])
println("Fields:", r[3])
println("Weighted total:", r[4])
println("Replaced length:", r[5])
println("Upper checksum:", r[6])
println("Letters:", r[7])
println("Words:", r[8])
println("Round trips:", r[9])
println("Sample:", r[10])
