-- wrk script for the HTTP benchmarks (see http_bench.py, which sets the environment).
--
-- BENCH_MODE=get   plain GETs of the URL given to wrk.
-- BENCH_MODE=save  POSTs that save an answer: each wrk thread has one connection and owns one
--                  question (BENCH_QUESTIONS, "id:revision" separated by commas); every request
--                  changes the text and sends the revision the previous save produced.
-- BENCH_COOKIE     session cookie sent with every request (so the CSRF token is valid).
-- BENCH_CSRF       CSRF token for the POST form.
-- BENCH_PREFIX     path prefix of the question pages, e.g. /gesprekken/1/vragen/
-- BENCH_RUN        a tag that makes this run's texts differ from those of earlier runs.
-- BENCH_MAX        most requests per thread; the thread stops by itself after that.
-- BENCH_EXPECT     the status a successful request answers with (200 for GET, 302 for a save).

local mode = os.getenv("BENCH_MODE") or "get"
local threads = {}
local next_question = 1

local function split(text, sep)
   local parts = {}
   for part in string.gmatch(text or "", "[^" .. sep .. "]+") do
      table.insert(parts, part)
   end
   return parts
end

local function urlencode(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function setup(thread)
   if mode == "save" then
      local questions = split(os.getenv("BENCH_QUESTIONS"), ",")
      local q = split(questions[(next_question - 1) % #questions + 1], ":")
      thread:set("question", q[1])
      thread:set("revision", tonumber(q[2]))
      next_question = next_question + 1
   end
   table.insert(threads, thread)
end

local filler = "We spreken af dat de trajectbegeleider, de jeugdconsulent van de gemeente en "
   .. "de zorgaanbieder binnen twee weken samen met de student een plan maken. Wie signaleert, "
   .. "belt dezelfde dag de vaste contactpersoon; bij twijfel over privacy vragen we de "
   .. "student om toestemming en leggen we dat vast in het dossier."

function init(args)
   sent = 0
   ok = 0
   unexpected = 0
   conflicts = 0
   limit = tonumber(os.getenv("BENCH_MAX") or "100000")
   expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
   run = os.getenv("BENCH_RUN") or "0"
   local headers = {}
   local cookie = os.getenv("BENCH_COOKIE")
   if cookie and cookie ~= "" then
      headers["Cookie"] = cookie
   end
   if mode == "save" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      csrf = urlencode(os.getenv("BENCH_CSRF") or "")
      path = (os.getenv("BENCH_PREFIX") or "/") .. question
   end
   base_headers = headers
end

function request()
   sent = sent + 1
   if sent > limit then
      wrk.thread:stop()
   end
   if mode ~= "save" then
      return wrk.format("GET", nil, base_headers, nil)
   end
   local text = "Antwoord " .. sent .. " (run " .. run .. ", vraag " .. question .. "). " .. filler
   local body = "csrf_token=" .. csrf .. "&text=" .. urlencode(text)
      .. "&assessment_id=first_steps&revision=" .. revision
   return wrk.format("POST", path, base_headers, body)
end

function response(status, headers, body)
   if status == expect then
      ok = ok + 1
      if mode == "save" then
         revision = revision + 1
      end
   else
      unexpected = unexpected + 1
      if status == 409 then
         -- Someone else's save (should not happen: each thread owns its question). Take over
         -- the revision the conflict page shows, so the next request is valid again.
         conflicts = conflicts + 1
         local current = string.match(body or "", 'name="revision"[^>]-value="(%d+)"')
            or string.match(body or "", 'value="(%d+)"[^>]-name="revision"')
         if current then
            revision = tonumber(current)
         end
      end
   end
end

function done(summary, latency, requests)
   local ok_total, unexpected_total, conflict_total = 0, 0, 0
   for _, thread in ipairs(threads) do
      ok_total = ok_total + (thread:get("ok") or 0)
      unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
      conflict_total = conflict_total + (thread:get("conflicts") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d ok=%d "
         .. "unexpected=%d conflicts=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.max, ok_total, unexpected_total, conflict_total,
      e.connect, e.read, e.write, e.status, e.timeout))
end
