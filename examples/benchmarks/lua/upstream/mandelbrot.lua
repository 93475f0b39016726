-- mandelbrot — Lua port of the reference implementation's
-- examples/benchmarks/mandelbrot.sema (sema-lisp/sema): an 80x40 grid over
-- [-2,1)x[-1,1), at most 100 iterations per point, the checksum being the
-- sum of the iteration counts; one checked grid, then 10 more.  The named-let
-- loops become while loops; the float operations are the same, in the same
-- order.  Timing with os.clock (ignored by the runner).  Lua 5.4 and LuaJIT.

local function mandelbrot_iter(cr, ci, max_iter)
  local zr, zi, i = 0.0, 0.0, 0
  while i ~= max_iter do
    local zr2, zi2 = zr * zr, zi * zi
    if zr2 + zi2 > 4.0 then return i end
    zr, zi = (zr2 - zi2) + cr, (2.0 * zr * zi) + ci
    i = i + 1
  end
  return max_iter
end

local function mandelbrot_grid(width, height, max_iter)
  local x_min, x_max, y_min, y_max = -2.0, 1.0, -1.0, 1.0
  local dx = (x_max - x_min) / width
  local dy = (y_max - y_min) / height
  local total = 0
  for py = 0, height - 1 do
    local row_sum = 0
    for px = 0, width - 1 do
      row_sum = row_sum + mandelbrot_iter(x_min + px * dx, y_min + py * dy, max_iter)
    end
    total = total + row_sum
  end
  return total
end

print("=== Mandelbrot Benchmark ===")
print("80x40 grid, max 100 iterations per point, 10 repetitions")
print(string.format("Checksum (single run): %d", mandelbrot_grid(80, 40, 100)))

local t0 = os.clock()
local v = 0
for _ = 1, 10 do v = mandelbrot_grid(80, 40, 100) end
local elapsed = math.floor((os.clock() - t0) * 1000)

print(string.format("Result: %d", v))
print(string.format("10 iterations in %d ms", elapsed))
