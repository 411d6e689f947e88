-- wrk script for bench/serve_wrk.sh: POSTs one-text /v1/predict bodies, one JSON body a line of $NGAME_BODIES,
-- taken in turn.
local bodies = {}
for line in io.lines(os.getenv("NGAME_BODIES")) do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/predict", {["Content-Type"] = "application/json"}, bodies[i])
end
