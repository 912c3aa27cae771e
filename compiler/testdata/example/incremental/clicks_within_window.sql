-- No day of daily_clicks may lie in the future of the run that built it.
select *
from "daily_clicks"
where dt >= DATE '2026-11-25'

