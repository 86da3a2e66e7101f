-- The leads bench's request for wrk: the page query, round robin over the owners' tokens
-- read from the file BENCH_TOKENS names (one per line, from `leads tokens`).
local query = [[{ leads(first: 50) { totalCount edges { node { id title value { amount currency }
    contact { name email phone } company { name rfc } owner { displayName }
    recentActivities(limit: 3) { kind subject occurredAt } } } } }]]

local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  if #line > 0 then tokens[#tokens + 1] = line end
end
local body = '{"query":' .. string.format("%q", query):gsub("\\\n", "\\n") .. '}'
local next_token = math.random(#tokens)

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = body

request = function()
  next_token = next_token % #tokens + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[next_token]
  return wrk.format()
end

response = function(status, headers, body)
  if status ~= 200 or not body:find('"edges"', 1, true) or body:find('"errors"', 1, true) then
    error("unexpected answer " .. status .. ": " .. body:sub(1, 200))
  end
end
