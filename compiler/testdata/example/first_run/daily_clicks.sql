select
    cast(e.event_ts as date) as dt,
    e.page,
    coalesce(p.section, 'unknown') as section,
    count(*) as clicks,
    count(distinct e.user_id) as unique_users,
    count(distinct e.session_id) as sessions
from (select * from (
select
    event_id,
    event_ts,
    user_id,
    session_id,
    lower(page) as page,
    coalesce(referrer, 'direct') as referrer,
    country,
    device
from (select * from read_parquet('$PROJECT/raw/events/**/*.parquet', hive_partitioning = true) where "dt" >= DATE '2026-11-24' and "dt" < DATE '2026-11-25' and "event_ts" >= TIMESTAMPTZ '2026-11-24 00:00:00+00:00' and "event_ts" < TIMESTAMPTZ '2026-11-25 00:00:00+00:00')
where user_agent not like '%bot%'
) where "event_ts" >= TIMESTAMPTZ '2026-11-24 00:00:00+00:00' and "event_ts" < TIMESTAMPTZ '2026-11-25 00:00:00+00:00') e
left join "stg_pages" p on p.page = e.page
group by all
having count(*) >= 1

