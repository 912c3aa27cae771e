/*---
# One row per user, merged by user_id: a user seen in the window gets a new
# row (in the partition of the day they were last seen); everyone else keeps theirs.
materialized = "incremental"
strategy = "merge"
unique_key = ["user_id"]
time_column = "last_seen_date"
partition_by = ["last_seen_date"]
tags = ["daily"]

[[tests]]
type = "unique"
columns = ["user_id"]

[[tests]]
type = "accepted_values"
column = "last_device"
values = ["desktop", "mobile", "tablet"]
---*/
with w as (
    select
        user_id,
        min(event_ts) as first_seen_ts,
        max(event_ts) as last_seen_ts,
        arg_max(device, event_ts) as last_device,
        count(*) as window_clicks
    from {{ ref "stg_events" }}
    group by user_id
)
select
    w.user_id,
    {{- if is_incremental }}
    coalesce(least(prev.first_seen_ts, w.first_seen_ts), w.first_seen_ts) as first_seen_ts,
    coalesce(prev.total_clicks, 0) + w.window_clicks as total_clicks,
    {{- else }}
    w.first_seen_ts,
    w.window_clicks as total_clicks,
    {{- end }}
    w.last_seen_ts,
    cast(w.last_seen_ts as date) as last_seen_date,
    w.last_device
from w
{{- if is_incremental }}
left join {{ this }} prev on prev.user_id = w.user_id
{{- end }}
