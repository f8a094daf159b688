-- wrk script for bench/check/run.sh: the same GET on every request of every
-- connection (keep-alive), as a gateway sees a client reusing its token.
-- Environment (each optional; unset or empty: the header is not sent):
--   TOKEN         -> Authorization: Bearer $TOKEN
--   ORIGINAL_URI  -> X-Original-URI: $ORIGINAL_URI and X-Original-Method: GET
--                    (what nginx's auth_request location passes to gatehouse)
wrk.method = "GET"
local token = os.getenv("TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local uri = os.getenv("ORIGINAL_URI")
if uri ~= nil and uri ~= "" then
  wrk.headers["X-Original-URI"] = uri
  wrk.headers["X-Original-Method"] = "GET"
end
