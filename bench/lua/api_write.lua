-- Authenticated POST /api/v1/products, every request a distinct model
-- (run tag + thread id + per-thread counter).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tag = os.getenv("BENCH_TAG") or "x"
local headers = {
  Authorization = "Bearer " .. os.getenv("BENCH_API_KEY"),
  ["Content-Type"] = "application/json",
}
local counter = 0

function request()
  counter = counter + 1
  local model = string.format("W-%s-%d-%d", tag, thread_id or 0, counter)
  local body = string.format(
    '{"name":"Bench write %s","model":"%s","category":"batteries"}', model, model)
  return wrk.format("POST", "/api/v1/products", headers, body)
end
