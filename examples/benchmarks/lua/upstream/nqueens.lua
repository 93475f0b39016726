-- nqueens — Lua port of the reference implementation's
-- examples/benchmarks/nqueens.sema (sema-lisp/sema), Gabriel's backtracking
-- N-queens over lists: 1-, 4-, 5- and 8-queens, then 8-queens 500 times.
--
-- Lists stay cons cells as in the Sema program: a pair is a two-slot table
-- {head, tail}, the empty list is nil; `append` copies its first argument as
-- Sema's does.  The local helpers become Lua local functions.  Timing with
-- os.clock (the runner ignores timing figures).  Lua 5.4 and LuaJIT 2.1.

local function append(a, b)
  if a == nil then return b end
  local head = {a[1], nil}
  local last = head
  a = a[2]
  while a ~= nil do
    local cell = {a[1], nil}
    last[2] = cell
    last = cell
    a = a[2]
  end
  last[2] = b
  return head
end

local function nqueens(n)
  local function one_to(k)
    local l = nil
    for i = k, 1, -1 do l = {i, l} end
    return l
  end

  local function ok(row, dist, placed)
    while placed ~= nil do
      if placed[1] == row + dist or placed[1] == row - dist then return false end
      dist = dist + 1
      placed = placed[2]
    end
    return true
  end

  local function try_it(x, y, z)
    if x == nil then
      if y == nil then return 1 else return 0 end
    end
    local a = 0
    if ok(x[1], 1, z) then a = try_it(append(x[2], y), nil, {x[1], z}) end
    return a + try_it(x[2], {x[1], y}, z)
  end

  return try_it(one_to(n), nil, nil)
end

print("=== N-Queens Benchmark ===")
print(string.format("Solutions for 1-queen: %d", nqueens(1)))
print(string.format("Solutions for 4-queens: %d", nqueens(4)))
print(string.format("Solutions for 5-queens: %d", nqueens(5)))
print(string.format("Solutions for 8-queens: %d", nqueens(8)))
print("")

local t0 = os.clock()
local v = 0
for _ = 1, 500 do v = nqueens(8) end
local elapsed = math.floor((os.clock() - t0) * 1000)

print(string.format("8-queens result: %d solutions", v))
print(string.format("500 iterations in %d ms", elapsed))
