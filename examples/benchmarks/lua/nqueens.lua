-- nqueens — Lua 5.4 port of ../nqueens.sema: counts the solutions of the
-- N-queens problem by backtracking.
--
-- Lists are cons cells as in Sema: a pair is a two-slot table {head, tail}
-- and the empty list is nil.  The queens placed so far are kept newest first,
-- so the k-th element is the queen k+1 columns back.

local function cons(h, t) return {h, t} end

-- Can a queen go in ROW of the next column, given the PLACED queens?
local function safe(row, placed)
  local qs, distance = placed, 1
  while qs ~= nil do
    local q = qs[1]
    if q == row then return false end
    if math.abs(q - row) == distance then return false end
    qs, distance = qs[2], distance + 1
  end
  return true
end

-- Number of ways to complete PLACED (K columns filled) to a full board.
local function complete(n, k, placed)
  if k == n then return 1 end
  local total = 0
  for row = 0, n - 1 do
    if safe(row, placed) then
      total = total + complete(n, k + 1, cons(row, placed))
    end
  end
  return total
end

local function queens(n) return complete(n, 0, nil) end

print("Solutions for 1-queen: " .. queens(1))
print("Solutions for 4-queens: " .. queens(4))
print("Solutions for 5-queens: " .. queens(5))
print("Solutions for 8-queens: " .. queens(8))

local function repeat_queens(n, times)
  local result = 0
  for _ = 1, times do
    result = queens(n)
  end
  return result
end

print("8-queens result: " .. repeat_queens(8, 50) .. " solutions")
