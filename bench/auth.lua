-- wrk script for bench/run.sh: sets the request from the environment and
-- prints one machine-readable RESULT line at the end.
--
--   BENCH_TOKEN      access token, sent as "Authorization: Bearer ..." (optional)
--   BENCH_PATH       request path (default /)
--   BENCH_FORWARDED  "1": describe the original request with X-Forwarded-*
--                    headers, as Traefik and Caddy do for forward-auth
local token = os.getenv("BENCH_TOKEN")
wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH") or "/"
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
if os.getenv("BENCH_FORWARDED") == "1" then
  wrk.headers["X-Forwarded-Method"] = "GET"
  wrk.headers["X-Forwarded-Proto"] = "https"
  wrk.headers["X-Forwarded-Host"] = "app.example.com"
  wrk.headers["X-Forwarded-Uri"] = "/app/dashboard?tab=1"
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d sockerr=%d\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
