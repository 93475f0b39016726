-- A minimal cooperative scheduler on Lua 5.4 coroutines, doing what Sema's tasks
-- do in the two benchmarks beside it: a FIFO ready queue, spawn, await, and
-- bounded channels whose send and receive wait.
local M = {}
local ready, head, tail = {}, 1, 0

local function push(co, value)
  tail = tail + 1
  ready[tail] = { co, value }
end

function M.spawn(f)
  local task = { done = false, waiters = {} }
  task.co = coroutine.create(function()
    task.value = f()
    task.done = true
    for _, w in ipairs(task.waiters) do push(w, task.value) end
  end)
  push(task.co, nil)
  return task
end

function M.await(task)
  if task.done then return task.value end
  table.insert(task.waiters, (coroutine.running()))
  return coroutine.yield()
end

function M.channel(capacity)
  return { items = {}, first = 1, last = 0, capacity = capacity, receivers = {}, senders = {} }
end

function M.send(ch, v)
  while ch.last - ch.first + 1 >= ch.capacity do
    table.insert(ch.senders, (coroutine.running()))
    coroutine.yield()
  end
  ch.last = ch.last + 1
  ch.items[ch.last] = v
  local r = table.remove(ch.receivers, 1)
  if r then push(r, nil) end
end

function M.recv(ch)
  while ch.last < ch.first do
    if ch.closed then return nil end
    table.insert(ch.receivers, (coroutine.running()))
    coroutine.yield()
  end
  local v = ch.items[ch.first]
  ch.items[ch.first] = nil
  ch.first = ch.first + 1
  local s = table.remove(ch.senders, 1)
  if s then push(s, nil) end
  return v
end

function M.close(ch)
  ch.closed = true
  for _, r in ipairs(ch.receivers) do push(r, nil) end
  ch.receivers = {}
end

-- Runs `main` as the first task until no task is ready.
function M.run(main)
  M.spawn(main)
  while head <= tail do
    local entry = ready[head]
    ready[head] = nil
    head = head + 1
    local ok, err = coroutine.resume(entry[1], entry[2])
    if not ok then error(err) end
  end
end

return M
