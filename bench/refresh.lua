-- wrk script: POST /auth/refresh, every request with a refresh token no request has
-- used yet, so each one rotates its family (no repeats, no reuse detection).
--   REFRESH_TOKENS=FILE wrk -t1 -c16 -s bench/refresh.lua URL
-- FILE holds one refresh token per line (body transport), more lines than
-- connections. An answer's next token goes back into the queue, and wrk asks for a
-- connection's next request only after its answer, so the queue never runs dry.
-- One wrk thread (-t1): a second would draw from the same file.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local queue = {}

function init(args)
  for line in io.lines(os.getenv("REFRESH_TOKENS")) do
    if #line > 0 then queue[#queue + 1] = line end
  end
end

function request()
  -- An empty queue means answers went missing: send a spent token, counted as non-2xx.
  local token = table.remove(queue, 1) or "spent.0.spent"
  return wrk.format(nil, nil, nil, '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
  local next_token = body:match('"refresh_token":"([^"]+)"')
  if next_token then queue[#queue + 1] = next_token end
end
