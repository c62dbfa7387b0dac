-- The request mix of `make bench-api` for wrk: 40% a list page (a theme, 20 rows, a
-- random offset), 40% one recommendation, 20% a follow-up written on one.
-- BENCH_MODE=mix|list|one|write picks the mix or one kind; BENCH_IDS names a file of
-- recommendation ids; BENCH_LIST, BENCH_ONE, BENCH_WRITE are the paths, with %s for the
-- id; BENCH_TOKEN (optional) is sent as a bearer token. done() prints one JSON line.
local mode = os.getenv("BENCH_MODE") or "mix"
local list_path = os.getenv("BENCH_LIST")
local one_path = os.getenv("BENCH_ONE")
local write_path = os.getenv("BENCH_WRITE")
local token = os.getenv("BENCH_TOKEN")
local themes = {"health%20care", "restraint", "outdoor%20exercise", "complaints", "hygiene"}
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end

local counter = 0
function setup(thread)
   counter = counter + 1
   thread:set("seed", counter)
end

function init(args)
   math.randomseed(seed * 7919 + os.time())
   wrk.headers["Content-Type"] = "application/json"
   if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
end

local body = '{"kind": "letter", "summary": "Wrote to the director"}'

function request()
   local kind = mode
   if mode == "mix" then
      local roll = math.random()
      if roll < 0.4 then kind = "list" elseif roll < 0.8 then kind = "one" else kind = "write" end
   end
   local id = ids[math.random(#ids)]
   if kind == "list" then
      local theme = themes[math.random(#themes)]
      return wrk.format("GET", list_path .. "?theme=" .. theme .. "&limit=20&offset=" .. math.random(0, 200))
   elseif kind == "one" then
      return wrk.format("GET", string.format(one_path, id))
   end
   return wrk.format("POST", string.format(write_path, id), nil, body)
end

function done(summary, latency, requests)
   io.write(string.format(
      '{"requests": %d, "seconds": %.3f, "non2xx": %d, "socket_errors": %d, ' ..
      '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "mean_ms": %.2f}\n',
      summary.requests, summary.duration / 1e6, summary.errors.status,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.mean / 1000))
end
