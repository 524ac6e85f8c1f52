-- The three everyday writes, one per run, chosen by STEP:
--   customer:    POST /api/v1/customers (a new, unique name)
--   opportunity: POST /api/v1/opportunities on one of CUSTOMERS
--   stage:       POST /api/v1/opportunities/{id}/stage, moving each of
--                OPPORTUNITIES (id:current-stage,...) between the first two
--                stages of its process (STAGES=a,b)
-- COOKIE, PROCESS, TAG (unique per run) and the id lists come from the
-- environment. Run it with one wrk thread (-t1): the counter is per thread.
local step = os.getenv("STEP")
local cookie = os.getenv("COOKIE")
local function list(name)
  local t = {}
  for id in string.gmatch(os.getenv(name) or "", "[^,]+") do table.insert(t, id) end
  return t
end
local customers, opps, stages = list("CUSTOMERS"), list("OPPORTUNITIES"), list("STAGES")
local cur = {} -- opportunity index -> its stage now
for i, o in ipairs(opps) do
  local id, st = string.match(o, "([^:]+):(.*)")
  opps[i], cur[i - 1] = id or o, st or stages[1]
end
local process = os.getenv("PROCESS")
local tag = os.getenv("TAG") or "x"
local n = 0
local hdr = {["Content-Type"] = "application/json", ["Cookie"] = cookie}
request = function()
  n = n + 1
  local id = tostring(n)
  if step == "customer" then
    return wrk.format("POST", "/api/v1/customers", hdr, '{"name":"压测客户 ' .. tag .. 'x' .. id .. '","industry":"制造业","city":"上海"}')
  elseif step == "opportunity" then
    local c = customers[(n % #customers) + 1]
    return wrk.format("POST", "/api/v1/opportunities", hdr, '{"customer_id":"' .. c .. '","process_id":"' .. process ..
      '","name":"压测商机 ' .. id .. '","amount":120000}')
  else
    -- Round robin over the opportunities; each visit moves it to the other stage.
    local i = n % #opps
    local to = (cur[i] == stages[2]) and stages[1] or stages[2]
    cur[i] = to
    return wrk.format("POST", "/api/v1/opportunities/" .. opps[i + 1] .. "/stage", hdr, '{"stage":"' .. to .. '"}')
  end
end
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
-- DEBUG=1 prints the first few answers that are not 2xx.
if os.getenv("DEBUG") then
  local shown = 0
  response = function(status, headers, body)
    if status >= 300 and shown < 3 then
      shown = shown + 1
      io.write("non-2xx ", status, " ", body, "\n")
    end
  end
end
