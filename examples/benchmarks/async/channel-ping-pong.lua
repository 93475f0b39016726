package.path = (arg[0]:match("(.*/)") or "./") .. "?.lua;" .. package.path
local s = require("scheduler")
s.run(function()
  local n = 100000
  local ping, pong = s.channel(1), s.channel(1)
  local echo = s.spawn(function()
    while true do
      local v = s.recv(ping)
      if v == nil then return end
      s.send(pong, v + 1)
    end
  end)
  local v = 0
  for _ = 1, n do
    s.send(ping, v)
    v = s.recv(pong)
  end
  print(v)
  s.close(ping)
  s.await(echo)
end)
