-- mandelbrot — Lua 5.4 port of ../mandelbrot.sema: floating-point arithmetic
-- in tight loops.  An 80 x 40 grid over x in [-2, 1), y in [-1, 1); each
-- point iterates z <- z^2 + c at most 100 times, escaping when |z|^2 > 4.
-- The checksum is the sum of the iteration counts.  The grid is computed
-- once, then 30 more times (31 in all), as in the Sema program.

local width = 80
local height = 40
local max_iter = 100
local x_min = -2.0
local y_min = -1.0
local dx = 3.0 / width
local dy = 2.0 / height

local function iterations(cr, ci)
  local zr, zi, i = 0.0, 0.0, 0
  while not (i == max_iter or zr * zr + zi * zi > 4.0) do
    zr, zi, i = (zr * zr - zi * zi) + cr, 2.0 * zr * zi + ci, i + 1
  end
  return i
end

local function row_sum(ci)
  local sum = 0
  for c = 0, width - 1 do
    sum = sum + iterations(x_min + c * dx, ci)
  end
  return sum
end

local function grid_sum()
  local sum = 0
  for r = 0, height - 1 do
    sum = sum + row_sum(y_min + r * dy)
  end
  return sum
end

print("Checksum (single run): " .. grid_sum())

local function repeat_grid(times)
  local result = 0
  for _ = 1, times do
    result = grid_sum()
  end
  return result
end

print("Result: " .. repeat_grid(30))
