/*---
materialized = "incremental"
strategy = "overwrite"
time_column = "dt"
partition_by = ["dt"]
tags = ["daily"]

[[tests]]
type = "not_null"
columns = ["dt", "page", "views"]
---*/
select
    cast(e.event_ts as date) as dt,
    e.page,
    p.section,
    count(*) as views
from {{ ref "stg_events" }} e
left join {{ ref "pages" }} p using (page)
group by all
having count(*) >= {{ var "min_views" }}
