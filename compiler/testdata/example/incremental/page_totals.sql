select
    page,
    any_value(section) as section,
    sum(clicks) as clicks,
    min(dt) as first_day,
    max(dt) as last_day
from "daily_clicks"
group by page

