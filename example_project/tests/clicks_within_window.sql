-- No day of daily_clicks may lie in the future of the run that built it.
select *
from {{ ref_full "daily_clicks" }}
where dt >= {{ window_end_date }}
