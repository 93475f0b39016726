-- string-pipeline — Lua port of the reference implementation's
-- examples/benchmarks/string-pipeline.sema (sema-lisp/sema): splitting and
-- parsing a CSV-like line, string concatenation, format, join, and a
-- split -> parse -> average -> format pipeline over 5 lines, each timed over
-- a fixed number of iterations and printed as "  NAME: T ms (N iterations)".
--
-- string/split returns a Lua array (a sequence table) where Sema returns a
-- list; the word lists are arrays too, joined with table.concat.
-- string/append is `..`, string/to-number is tonumber, format "~a" is
-- string.format "%s".  Timing with os.clock (ignored by the runner).
-- Lua 5.4 and LuaJIT 2.1.

local function bench(name, thunk, iterations)
  local t0 = os.clock()
  for _ = 1, iterations do thunk() end
  local elapsed = math.floor((os.clock() - t0) * 1000)
  print(string.format("  %s: %d ms (%d iterations)", name, elapsed, iterations))
end

local function split(s, sep)
  local parts, start = {}, 1
  while true do
    local i = string.find(s, sep, start, true)
    if i == nil then
      parts[#parts + 1] = string.sub(s, start)
      return parts
    end
    parts[#parts + 1] = string.sub(s, start, i - 1)
    start = i + #sep
  end
end

local function map(f, t)
  local out = {}
  for i = 1, #t do out[i] = f(t[i]) end
  return out
end

print("=== String Pipeline Benchmark ===")
print("Part 1: CSV-like split + parse")
local csv_line = "Copenhagen;12.3;45.6;78.9;100.2"
bench("split by ';'", function() return split(csv_line, ";") end, 100000)
bench("split + parse fields", function()
  local fields = split(csv_line, ";")
  local city = fields[1]
  local v1, v2 = tonumber(fields[2]), tonumber(fields[3])
  return v1 + v2
end, 50000)

print("")
print("Part 2: String concatenation")
bench("string/append (2 strings)", function() return "hello" .. " world" end, 100000)
bench("string/append (5 strings)", function() return "a" .. "b" .. "c" .. "d" .. "e" end, 100000)
bench("concat loop (100 appends)", function()
  local s = ""
  for _ = 1, 100 do s = s .. "x" end
  return s
end, 5000)

print("")
print("Part 3: format")
bench("format (1 arg)", function() return string.format("x=%s", 42) end, 100000)
bench("format (3 args)", function() return string.format("%s,%s,%s", 1, 2.5, "hello") end, 100000)
bench("format (5 args)", function() return string.format("%s %s %s %s %s", 1, 2, 3, 4, 5) end,
      50000)

print("")
print("Part 4: string/join")
local words = {"the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"}
bench("string/join (9 words)", function() return table.concat(words, " ") end, 100000)
local many_words = {}
for i = 0, 99 do many_words[i + 1] = tostring(i) end
bench("string/join (100 number strings)", function() return table.concat(many_words, ",") end,
      50000)

print("")
print("Part 5: Full pipeline")
local sample_lines = {"Oslo;10.5;20.3;15.1", "Bergen;8.2;18.7;12.4", "Trondheim;5.1;15.9;9.8",
                      "Stavanger;11.0;22.1;16.3", "Tromsø;-2.5;8.4;3.1"}
bench("full pipeline (5 lines)", function()
  return map(function(line)
    local fields = split(line, ";")
    local city = fields[1]
    local temps = {}
    for i = 2, #fields do temps[#temps + 1] = tonumber(fields[i]) end
    local sum = 0
    for i = 1, #temps do sum = sum + temps[i] end
    return string.format("%s: avg=%s", city, sum / #temps)
  end, sample_lines)
end, 50000)
