-- Shared by the bench/http scripts (loaded with dofile by each): numbers the threads, counts the
-- answers a script judges wrong, and prints one JSON line that bench/http.js reads.
local threads = {}
local count = 0

-- setup runs in wrk's main Lua state once per thread, just before that thread's init.
function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

-- Answers the script judged wrong (a status other than 200, or a body without what it must hold).
failures = 0

-- The lines of a file, without empty ones.
function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if #line > 0 then lines[#lines + 1] = line end
  end
  return lines
end

-- Every thread's value of a global, from the main state (done runs there, after the threads stopped).
function each_thread(name, fn)
  for _, t in ipairs(threads) do fn(t:get(name)) end
end

function report(summary, latency)
  local failed = 0
  each_thread("failures", function(n) failed = failed + (n or 0) end)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"failures":%d,' ..
      '"p50":%.0f,"p90":%.0f,"p99":%.0f,"mean":%.1f,"max":%.0f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, failed,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
