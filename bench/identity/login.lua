-- Password logins for bench/identity: POST {"username","password"} (datarhei's /api/login) with the
-- login bodies of a file (line i: the body of user i, whose username the answer's token names as `sub`).
-- Thread t of N takes the users i with (i - 1) % N == t, and never has two logins of one user in
-- flight: request() takes the user waiting longest, response() hands back the user its answer's
-- access token names. So no account sees parallel attempts, as with one user per client; a thread
-- needs more users than its connections (run.js: 16 users per thread, 8 connections).
-- A login counts only when it answers 200 with an access_token; a failed one keeps its user (a run
-- with a failure is invalid anyway).
-- Usage: wrk -tN -cC ... -s login.lua https://host:port/api/login -- bodies.txt N
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../http/common.lua")

local request_of = {} -- username -> the formatted request
local free = {} -- usernames without a login in flight, oldest first (a queue: first .. last)
local first, last = 1, 0
-- Logins sent while every user of the thread had one in flight (should stay 0): counted as failures.
starved = 0

-- base64url (a JWT segment, no padding) to bytes.
local value = {}
do
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  for i = 1, 64 do value[alphabet:byte(i)] = i - 1 end
end
local function base64url(s)
  local out, acc, bits = {}, 0, 0
  for i = 1, #s do
    acc = acc * 64 + value[s:byte(i)]
    bits = bits + 6
    if bits >= 8 then
      bits = bits - 8
      local byte = math.floor(acc / 2 ^ bits)
      out[#out + 1] = string.char(byte)
      acc = acc - byte * 2 ^ bits
    end
  end
  return table.concat(out)
end

function init(args)
  local threads = tonumber(args[2])
  local headers = { ["Host"] = wrk.headers["Host"], ["Content-Type"] = "application/json" }
  for i, body in ipairs(read_lines(args[1])) do
    if (i - 1) % threads == id then
      local name = assert(body:match('"username":"([^"]+)"'), "a body without a username")
      request_of[name] = wrk.format("POST", nil, headers, body)
      last = last + 1
      free[last] = name
    end
  end
  assert(last > 0, "more threads than login bodies")
end

function request()
  if first > last then
    starved = starved + 1
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, '{"username":"","password":""}')
  end
  local name = free[first]
  free[first] = nil
  first = first + 1
  return request_of[name]
end

function response(status, headers, body)
  local payload = status == 200 and body:match('"access_token":"[^".]+%.([^".]+)%.')
  local name = payload and base64url(payload):match('"sub":"([^"]+)"')
  if not (name and request_of[name]) then
    failures = failures + 1
    return
  end
  last = last + 1
  free[last] = name
end

function done(summary, latency)
  local n = 0
  each_thread("starved", function(s) n = n + s end)
  io.write(string.format('LOGINS {"starved":%d}\n', n))
  report(summary, latency)
end
