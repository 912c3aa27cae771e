/*---
# A view: refs to it from incremental models are filtered on event_ts, and
# the filter reaches the source's dt= folders, so only the window's files are read.
time_column = "event_ts"
tags = ["staging"]

[[tests]]
type = "not_null"
columns = ["event_id", "event_ts", "user_id", "page"]
---*/
select
    event_id,
    event_ts,
    user_id,
    session_id,
    lower(page) as page,
    coalesce(referrer, 'direct') as referrer,
    country,
    device
from {{ source "events" }}
where user_agent not like '{{ var "bot_pattern" }}'
