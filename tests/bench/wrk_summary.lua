-- wrk_summary.lua: wrk's result as one line for tests/bench/bench_volume.py. Latencies in
-- microseconds; "non2xx" is wrk's own count of responses with a status of 400 or more (a 3xx,
-- which wrk does not count, is caught by the runner's signed-in check before and after each run).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d timeouts=%d sockerr=%d\n",
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.timeout, e.connect + e.read + e.write))
end
