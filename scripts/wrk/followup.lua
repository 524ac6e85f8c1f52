-- Logs a follow-up with its next action per request: POST /api/v1/followups.
-- COOKIE and CUSTOMERS (comma-separated customer ids the user owns) come
-- from the environment.
local ids = {}
for id in string.gmatch(os.getenv("CUSTOMERS"), "[^,]+") do table.insert(ids, id) end
local n = 0
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  local body = '{"customer_id":"' .. id .. '","type":"call","duration_s":120,"content":"压测电话 ' .. n ..
    '","next_action":{"fuzzy":"tomorrow","plan_type":"keep_in_touch"}}'
  return wrk.format("POST", "/api/v1/followups", {["Content-Type"] = "application/json", ["Cookie"] = os.getenv("COOKIE")}, body)
end
-- Prints one machine-readable summary line after a wrk run.
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
