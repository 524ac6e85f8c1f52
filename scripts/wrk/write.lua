-- A durable single-record write per request: POST /api/v1/departments,
-- creating one department (plus its audit entry) in one transaction.
-- COOKIE and PARENT come from the environment.
local n = 0
local parent = os.getenv("PARENT")
request = function()
  n = n + 1
  local body = '{"name":"压测部门 ' .. n .. '-' .. math.random(1e9) .. '","parent_id":"' .. parent .. '"}'
  return wrk.format("POST", "/api/v1/departments", {["Content-Type"] = "application/json", ["Cookie"] = os.getenv("COOKIE")}, body)
end
-- Prints one machine-readable summary line after a wrk run.
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
