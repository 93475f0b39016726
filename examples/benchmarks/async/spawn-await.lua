package.path = (arg[0]:match("(.*/)") or "./") .. "?.lua;" .. package.path
local s = require("scheduler")
s.run(function()
  local n, sum = 200000, 0
  for i = 0, n - 1 do
    sum = sum + s.await(s.spawn(function() return i end))
  end
  print(sum)
end)
