-- Authenticated GET /api/v1/passports/{id} of a random id from BENCH_IDS_FILE.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local ids = {}
for line in io.lines(os.getenv("BENCH_IDS_FILE")) do
  if line ~= "" then ids[#ids + 1] = line end
end
local headers = { Authorization = "Bearer " .. os.getenv("BENCH_API_KEY") }

function init(args)
  seed_random()
end

function request()
  return wrk.format("GET", "/api/v1/passports/" .. ids[math.random(1, #ids)], headers)
end
