-- Replays the requests of a file round robin: `wrk ... -s bench/wrk/replay.lua URL -- FILE TOKEN`.
-- Each line of FILE is `METHOD PATH [JSON BODY]`; every request carries `Authorization: Bearer TOKEN`.
-- When the run ends, one line `BENCH_JSON {...}` reports counts and latency percentiles (microseconds).

local requests = {}
local counter = 0
local threads = 0

function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+) (%S+) ?(.*)$")
    if method then
      local headers = {["Authorization"] = "Bearer " .. args[2]}
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  end
  -- Threads start at different offsets so they do not replay the same sequence in lockstep.
  counter = ((thread_index or 0) * 7919) % #requests
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function done(summary, latency, _requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non_2xx_3xx": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
