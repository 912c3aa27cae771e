/*---
# A table rebuilt in full each run, from every day built so far.
tags = ["weekly"]

[[tests]]
type = "relationships"
column = "page"
to = "stg_pages"
field = "page"
severity = "warn"
---*/
select
    page,
    any_value(section) as section,
    sum(clicks) as clicks,
    min(dt) as first_day,
    max(dt) as last_day
from {{ ref "daily_clicks" }}
group by page
