-- 1brc — Lua 5.4 port of ../1brc.sema, the One Billion Row Challenge: read
-- "Station;temperature" lines and print min/mean/max per station, sorted by
-- station name:
--   {Abha=11.9/18.2/24.5, Accra=24.1/26.4/28.7, ...}
--
-- Usage: lua5.4 1brc.lua -- <measurements-file>
--
-- Streams the file line by line (io.lines), splits each line at ";", parses
-- the temperature with tonumber and keeps, per station, a four-slot table
-- {min, sum, count, max} in a table keyed by name.  As in the Sema program,
-- where a station's vector is immutable and `assoc` stores a new one, every
-- reading stores a fresh {min, sum, count, max} table.
--
-- Rounding of the mean, exactly as the Sema program: mean = sum / count
-- (floating point, the sum taken in file order); printed value =
-- round(mean * 10) / 10.0 with round taking halfway cases to the even
-- neighbour (Rust's f64::round_ties_even, keeping the sign of a zero).
-- Numbers print as Sema prints floats: with one decimal when integral
-- (20.0, -0.0), otherwise the shortest decimal that reads back the same.

local function argument_after_dashes(args)
  for i = 1, #args do
    if args[i] == "--" then return args[i + 1] end
  end
  return nil
end

local function add_measurement(stations, line)
  if line == "" then return end
  local semi = string.find(line, ";", 1, true)
  local name = string.sub(line, 1, semi - 1)
  local temp = tonumber(string.sub(line, semi + 1))
  local seen = stations[name]
  if seen == nil then
    stations[name] = {temp, temp, 1, temp}
  else
    stations[name] = {math.min(seen[1], temp), seen[2] + temp, seen[3] + 1,
                      math.max(seen[4], temp)}
  end
end

-- f64::round_ties_even for a float x (math.floor returns an integer when
-- the result fits, hence the + 0.0).
local function round_ties_even(x)
  local f = math.floor(x)
  local d = x - f
  local r
  if d > 0.5 or (d == 0.5 and f % 2 ~= 0) then r = f + 1 else r = f end
  r = r + 0.0
  if r == 0 and (x < 0 or 1 / x < 0) then r = -0.0 end
  return r
end

local function round_1(x) return round_ties_even(x * 10) / 10.0 end

-- Sema's float printing: {:.1} when integral, else shortest round trip.
local function show_float(x)
  if x == math.floor(x) then return string.format("%.1f", x) end
  for digits = 1, 17 do
    local s = string.format("%." .. digits .. "g", x)
    if tonumber(s) == x then return s end
  end
  return string.format("%.17g", x)
end

local function format_station(stations, name)
  local s = stations[name]
  local mean = round_1(s[2] / s[3])
  return name .. "=" .. show_float(s[1]) .. "/" .. show_float(mean) .. "/" .. show_float(s[4])
end

local function main(path)
  local stations = {}
  for line in io.lines(path) do
    add_measurement(stations, line)
  end
  local names = {}
  for name in pairs(stations) do names[#names + 1] = name end
  table.sort(names)                     -- byte order in the C locale
  local parts = {}
  for i, name in ipairs(names) do parts[i] = format_station(stations, name) end
  print("{" .. table.concat(parts, ", ") .. "}")
end

local path = argument_after_dashes(arg)
if path == nil then
  print("Usage: lua5.4 1brc.lua -- <measurements-file>")
  os.exit(1)
end
main(path)
