-- tak — Lua 5.4 port of ../tak.sema: the Takeuchi function, non-tail
-- recursive calls with small integer arguments.  (tak 18 12 6) makes 63,609
-- calls; it is evaluated 500 times.

local function tak(x, y, z)
  if not (y < x) then
    return z
  end
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))
end

local function repeat_tak(times)
  local result = 0
  for _ = 1, times do
    result = tak(18, 12, 6)
  end
  return result
end

print("Result: " .. repeat_tak(500))
