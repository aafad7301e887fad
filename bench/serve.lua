-- wrk's script for bench/serve: each request POSTs one Open Inference Protocol infer request (JSON) with a fresh
-- text, and the run ends with one JSON line of its counts and latency percentiles (microseconds).
--
--   wrk -c C -d 5s -s bench/serve.lua URL -- PATH words [OUTPUT]        random lowercase words of 2–20 letters
--   wrk -c C -d 5s -s bench/serve.lua URL -- PATH FILE LENGTH [OUTPUT]  LENGTH-character slices of FILE (ASCII)
--
-- PATH is the infer endpoint (/v2/models/NAME/infer); OUTPUT, when given, is the one output asked for.

local path, source, length, output
local corpus

function init(args)
  path, source = args[1], args[2]
  if source == "words" then
    output = args[3]
  else
    length, output = tonumber(args[3]), args[4]
    local f = assert(io.open(source, "rb"))
    corpus = f:read("*a")
    f:close()
    assert(#corpus > length, source .. " is shorter than " .. length .. " characters")
  end
  -- Each wrk thread has its own Lua state: seed each apart.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }

local function text()
  if corpus then
    local start = math.random(1, #corpus - length + 1)
    return (corpus:sub(start, start + length - 1):gsub('[%c"\\]', function(c)
      return escapes[c] or string.format("\\u%04x", c:byte())
    end))
  end
  local letters = {}
  for i = 1, math.random(2, 20) do letters[i] = string.char(math.random(97, 122)) end
  return table.concat(letters)
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  local body = '{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"data":["' .. text() .. '"]}]'
  if output then body = body .. ',"outputs":[{"name":"' .. output .. '"}]' end
  return wrk.format("POST", path, headers, body .. "}")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
