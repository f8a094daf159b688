-- wrk script for bench/token/run.sh: one OAuth2 client_credentials token
-- request (application/x-www-form-urlencoded, client_secret_post), the same
-- body on every request of every connection (keep-alive).
-- Environment: CLIENT_ID, CLIENT_SECRET, SCOPE, EXTRA_BODY (appended as is,
-- e.g. "&resource=connectapi&acr_values=tenant%3Aacme").
local function need(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    error("token.lua: " .. name .. " is not set")
  end
  return v
end

wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
  .. "&client_id=" .. need("CLIENT_ID")
  .. "&client_secret=" .. need("CLIENT_SECRET")
  .. "&scope=" .. need("SCOPE")
  .. (os.getenv("EXTRA_BODY") or "")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
