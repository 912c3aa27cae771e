/*---
time_column = "event_ts"
---*/
select
    event_id,
    cast(event_ts as timestamp) as event_ts,
    user_id,
    page
from {{ source "events" }}
