-- wrk script: live position pings for technicians T1..T200, each newer
-- than the last one this thread sent. The technicians must exist (run
-- `dispatchd bench http --url … --target location --duration 1s` first).
-- Every ping carries $DISPATCHD_TOKEN, a key that may post any
-- technician's position (an admin's).
--
--   DISPATCHD_TOKEN=… wrk -t2 -c32 -d10s -s bench/wrk/location.lua http://127.0.0.1:8080
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. (os.getenv("DISPATCHD_TOKEN") or "")}
local n = 0
local base = os.time()
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("offset", threads)
end

function request()
  n = n + 1
  -- microseconds, threads interleaved: a million pings stay within a
  -- few seconds of the server's clock, which refuses fixes from the future
  local us = n * 8 + (offset or 0)
  local t = base + math.floor(us / 1000000)
  local at = string.format("%s.%06dZ", os.date("!%Y-%m-%dT%H:%M:%S", t), us % 1000000)
  local id = "T" .. (n * 7919 % 200 + 1)
  local body = string.format('{"lat":%.6f,"lng":-104.99,"at":"%s"}', 39.70 + (n % 100) * 1e-4, at)
  return wrk.format("POST", "/v1/technicians/" .. id .. "/location", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p99 %.2f ms  non-2xx/3xx %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
