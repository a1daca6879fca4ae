-- load.lua: wrk script of make test-scale: signed-in pages in turn, every answer's status
-- counted (wrk alone counts a redirect to the sign-in page as a success).
local paths = {"/", "/reports/subscriptions", "/settings/connections", "/reports/adjustments"}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  n = 0
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do
      total[k] = (total[k] or 0) + v
    end
  end
  for k, v in pairs(total) do
    io.write(string.format("status %d %d\n", k, v))
  end
  local e = summary.errors
  io.write(string.format("socket-errors connect %d read %d write %d timeout %d\n",
                         e.connect, e.read, e.write, e.timeout))
  io.write(string.format("requests %d duration-us %d\n", summary.requests, summary.duration))
end
