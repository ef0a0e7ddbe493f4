-- wrk script: cycles through real lookups written by prepare.py.
-- MODE=page  POST /verify, a form body from page.txt plus the CSRF token of one session
--            (CSRF_TOKEN and SESSION_COOKIE, fetched by run.sh from the lookup form)
-- MODE=api   POST /api/v1/verify with X-API-Key (lines of api.txt)
-- MODE=health GET /healthz
local mode = os.getenv("MODE") or "page"
local data_dir = os.getenv("DATA_DIR") or "."
local api_key = os.getenv("API_KEY") or ""
local csrf_token = os.getenv("CSRF_TOKEN") or ""
local session_cookie = os.getenv("SESSION_COOKIE") or ""
local items = {}
local counter = 0
local thread_count = 0

local function load(name)
  local out = {}
  for line in io.lines(data_dir .. "/" .. name) do
    if #line > 0 then out[#out + 1] = line end
  end
  return out
end

function setup(thread)
  thread_count = thread_count + 1
  thread:set("offset", thread_count)
end

function init(args)
  if mode == "page" then items = load("page.txt")
  elseif mode == "api" then items = load("api.txt") end
  -- Each thread starts at a different place so threads do not send the same lookups together.
  counter = ((offset or 1) * 7919) % math.max(#items, 1)
end

function request()
  if mode == "health" then
    return wrk.format("GET", "/healthz")
  end
  counter = counter % #items + 1
  if mode == "page" then
    return wrk.format("POST", "/verify",
      {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = session_cookie},
      items[counter] .. "&csrf_token=" .. csrf_token)
  end
  return wrk.format("POST", "/api/v1/verify",
    {["Content-Type"] = "application/json", ["X-API-Key"] = api_key}, items[counter])
end

-- errors: connect, read, write and timeout errors; http_errors: answers with status 400 or more.
function done(summary, latency, requests)
  io.write(string.format("RESULT mode=%s requests=%d duration_s=%.1f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f errors=%d http_errors=%d\n",
    mode, summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
