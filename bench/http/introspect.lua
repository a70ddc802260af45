-- RFC 7662 introspection: POST of `token=<access token>` (form-encoded) with HTTP Basic client
-- credentials; an answer counts only when it is 200 and says "active":true.
-- Usage: wrk ... -s introspect.lua https://host:port/oauth2/introspect -- token.txt "Basic <base64 id:secret>"
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

function init(args)
  wrk.method = "POST"
  wrk.body = "token=" .. read_lines(args[1])[1]
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Authorization"] = args[2]
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"active":true', 1, true) then failures = failures + 1 end
end

function done(summary, latency)
  report(summary, latency)
end
