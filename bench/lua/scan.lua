-- Public Digital Link resolve of a random published serial.
-- Passport i carries serial SN%09d under GTIN number (i mod #gtins).
-- BENCH_N: how many serials exist; BENCH_GTINS: comma list; BENCH_ACCEPT: media type.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local n = env_number("BENCH_N", 1)
local gtins = split_commas(os.getenv("BENCH_GTINS"))
local headers = { Accept = os.getenv("BENCH_ACCEPT") or "application/json" }

function init(args)
  seed_random()
end

function request()
  local i = math.random(0, n - 1)
  local path = string.format("/p/01/%s/21/SN%09d", gtins[(i % #gtins) + 1], i)
  return wrk.format("GET", path, headers)
end
