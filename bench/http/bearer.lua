-- GET of the URL's path with `Authorization: Bearer <token>`, the tokens taken round-robin from the
-- file given as the first argument (one per line; one line = one reusable token).
-- Usage: wrk ... -s bearer.lua https://host:port/api/login/refresh -- tokens.txt
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local requests = {}
local next_one = 0

function init(args)
  for i, token in ipairs(read_lines(args[1])) do
    requests[i] = wrk.format("GET", nil, { ["Host"] = wrk.headers["Host"], ["Authorization"] = "Bearer " .. token })
  end
  -- The threads start at different places in the list.
  next_one = (id * 7919) % #requests
end

function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end

function done(summary, latency)
  report(summary, latency)
end
