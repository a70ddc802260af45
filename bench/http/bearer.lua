-- GET of the URL's path with `Authorization: Bearer <token>`, the tokens taken round-robin from the
-- file given as the first argument (one per line; one line = one reusable token). Made for datarhei's
-- refresh: an answer counts only when it is 200 and carries an access_token.
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

-- A refresh counts only with a new access token in its answer.
function response(status, headers, body)
  if status ~= 200 or not body:find('"access_token":"', 1, true) then failures = failures + 1 end
end

function done(summary, latency)
  report(summary, latency)
end
