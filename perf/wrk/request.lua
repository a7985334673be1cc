-- wrk script for requests other than a plain GET: the method, body and headers come from the
-- environment, so that one script serves every workload (perf/lib/workloads.mjs sets them).
--   WRK_METHOD   e.g. POST
--   WRK_BODY     the request body, sent as is (wrk adds Content-Length)
--   WRK_HEADERS  "name: value" lines, separated by "\n"
-- Only wrk's globals are set: wrk builds the request once and sends the same bytes every time,
-- so the script costs nothing per request.

wrk.method = os.getenv("WRK_METHOD") or "GET"
wrk.body = os.getenv("WRK_BODY")
for line in (os.getenv("WRK_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end
