-- GET of the URL's path, no credentials (anonymous GET /api, datarhei's about call).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

function done(summary, latency)
  report(summary, latency)
end
