-- wrk script for bench/sim_bench.sh: POSTs the same add-leads body (400 leads) on every request,
-- so after the first call every lead takes the "already in campaign" path (field updates).
local path = os.getenv("SIM_BENCH_BODY")
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
