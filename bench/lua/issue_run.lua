-- Authenticated POST /api/v1/passports/batch with BENCH_BATCH items (fresh serials).
-- BENCH_PRODUCTS and BENCH_GTINS are parallel comma lists.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tag = os.getenv("BENCH_TAG") or "x"
local batch = env_number("BENCH_BATCH", 100)
local products = split_commas(os.getenv("BENCH_PRODUCTS"))
local gtins = split_commas(os.getenv("BENCH_GTINS"))
local headers = {
  Authorization = "Bearer " .. os.getenv("BENCH_API_KEY"),
  ["Content-Type"] = "application/json",
}
local counter = 0

function request()
  counter = counter + 1
  local k = (counter % #products) + 1
  local items = {}
  for j = 1, batch do
    items[j] = string.format(
      '{"productId":"%s","gs1":{"gtin":"%s","serialNumber":"R%s-%d-%d-%d"}}',
      products[k], gtins[k], tag, thread_id or 0, counter, j)
  end
  local body = '{"passports":[' .. table.concat(items, ",") .. ']}'
  return wrk.format("POST", "/api/v1/passports/batch", headers, body)
end
