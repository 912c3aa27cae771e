/*---
# One row per day and page. Each run rebuilds exactly its window's dt partition.
materialized = "incremental"
strategy = "overwrite"
time_column = "dt"
partition_by = ["dt"]
tags = ["daily"]

[[tests]]
type = "not_null"
columns = ["dt", "page", "clicks"]

[[tests]]
type = "unique"
columns = ["dt", "page"]

[[tests]]
type = "expression"
expression = "clicks >= unique_users"
---*/
select
    cast(e.event_ts as date) as dt,
    e.page,
    coalesce(p.section, 'unknown') as section,
    count(*) as clicks,
    count(distinct e.user_id) as unique_users,
    count(distinct e.session_id) as sessions
from {{ ref "stg_events" }} e
left join {{ ref "stg_pages" }} p on p.page = e.page
group by all
having count(*) >= {{ var "min_clicks" }}
