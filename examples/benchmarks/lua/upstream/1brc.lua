-- 1brc — Lua port of the reference implementation's
-- examples/benchmarks/1brc.sema (sema-lisp/sema), the One Billion Row
-- Challenge: read "Station;temperature" lines from the file named after
-- "--" and print, around three timing lines, min/mean/max per station
-- sorted by name:
--   {Abha=12.0/18.3/24.5, Accra=24.1/26.3/28.7, ...}
--
-- Usage: lua5.4 1brc.lua -- <measurements-file>   (or luajit -joff ...)
--
-- Streams the file with io.lines, skips empty lines, splits each line at
-- ";" and parses the temperature with tonumber.  The Sema program keeps a
-- four-slot vector [min, max, sum, count] per station in a hashmap and
-- stores a new vector for every reading (assoc); the port keeps them in a
-- Lua table keyed by name and also stores a fresh four-slot table per
-- reading.  Each value is printed rounded to one decimal as the Sema
-- program does: round(x * 10.0) / 10.0, with Sema's `round` taking halfway
-- cases to the even neighbour; such a value prints as Sema prints it with
-- "%.1f".  Timing with os.clock (ignored by the runner).  Lua 5.4 and
-- LuaJIT 2.1.

-- The arguments after "--", like the Sema program's script-args.
local function script_args(argv)
  local after, seen = {}, false
  for i = 1, #argv do
    if seen then after[#after + 1] = argv[i] elseif argv[i] == "--" then seen = true end
  end
  return after
end

local function round_ties_even(x)
  local f = math.floor(x)
  local d = x - f
  if d > 0.5 or (d == 0.5 and f % 2 ~= 0) then f = f + 1 end
  return f + 0.0
end

local function round1(x) return round_ties_even(x * 10.0) / 10.0 end

local function format_station(name, s)
  return string.format("%s=%.1f/%.1f/%.1f", name, round1(s[1]), round1(s[3] / s[4]),
                       round1(s[2]))
end

local args = script_args(arg)
if #args < 1 then
  print("Usage: sema examples/1brc.sema -- <measurements-file>")
  os.exit(1)
end
local input_file = args[1]

local t0 = os.clock()
local result = {}
local count = 0
for line in io.lines(input_file) do
  if line ~= "" then
    local semi = string.find(line, ";", 1, true)
    local name = string.sub(line, 1, semi - 1)
    local temp = tonumber(string.sub(line, semi + 1))
    local e = result[name]
    if e == nil then
      result[name] = {temp, temp, temp, 1}
      count = count + 1
    else
      result[name] = {math.min(temp, e[1]), math.max(temp, e[2]), temp + e[3], 1 + e[4]}
    end
  end
end
local t1 = os.clock()
print(string.format("Processed %d stations in %d ms", count, math.floor((t1 - t0) * 1000)))

local names = {}
for name in pairs(result) do names[#names + 1] = name end
table.sort(names)
local formatted = {}
for i, name in ipairs(names) do formatted[i] = format_station(name, result[name]) end
local output = "{" .. table.concat(formatted, ", ") .. "}"
local t2 = os.clock()
print(string.format("Formatted in %d ms", math.floor((t2 - t1) * 1000)))
print(output)
print(string.format("Total: %d ms", math.floor((t2 - t0) * 1000)))
