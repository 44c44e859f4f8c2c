-- GET the URL given on the command line (ceiling and starlette-ref).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
