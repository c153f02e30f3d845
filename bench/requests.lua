-- Replays pre-signed WeChat pushes, one line each: "<path?query>\t<body>".
-- Every request is sent once (no wrap-around): unique MsgIds, unique nonces.
local requests = {}
local next_index = 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local path, body = line:match("^([^\t]*)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
  end
  file:close()
end

function request()
  next_index = next_index + 1
  if next_index > #requests then
    -- Out of unique requests: a harmless GET keeps wrk's count honest.
    return wrk.format("GET", "/healthz")
  end
  return requests[next_index]
end
