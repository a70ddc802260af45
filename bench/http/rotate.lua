-- Rotating refresh (Monogoto /Auth/Refresh, EDR /mobile/v1/auth/refresh): each POST
-- {"refreshToken": T} spends T and answers the next token of its family. Each thread keeps a pool of
-- unspent tokens: request() takes one, response() puts back the one the answer carries. A status
-- other than 200, or a 200 without a refreshToken, is a failure (and loses that token).
-- When the run ends the tokens left in the pools are still unspent; done() writes them to a file so
-- that the next run can start from them (tokens of requests in flight at the end are lost).
-- Usage: wrk -tN ... -s rotate.lua URL -- seed.txt N left.txt
--   seed.txt: unspent tokens, one per line, dealt to the N threads in turn; left.txt: written at the end.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

pool = {}
empty = 0
left_file = nil

function init(args)
  local threads = tonumber(args[2])
  for i, token in ipairs(read_lines(args[1])) do
    if (i - 1) % threads == id then pool[#pool + 1] = token end
  end
  left_file = args[3]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local n = #pool
  if n == 0 then
    -- No token to spend (the pool was too small for the connections): counted, answered 4xx.
    empty = empty + 1
    return wrk.format(nil, nil, nil, '{"refreshToken":"none-left"}')
  end
  local token = pool[n]
  pool[n] = nil
  return wrk.format(nil, nil, nil, '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
  if status == 200 then
    local token = body:match('"refreshToken":"([^"]+)"')
    if token then
      pool[#pool + 1] = token
      return
    end
  end
  failures = failures + 1
end

function done(summary, latency)
  local out = nil
  local left, starved = 0, 0
  each_thread("left_file", function(f) out = out or f end)
  local f = assert(io.open(out, "w"))
  each_thread("pool", function(p)
    for _, token in ipairs(p) do
      f:write(token, "\n")
      left = left + 1
    end
  end)
  f:close()
  each_thread("empty", function(n) starved = starved + n end)
  io.write(string.format('POOL {"left":%d,"empty":%d}\n', left, starved))
  report(summary, latency)
end
