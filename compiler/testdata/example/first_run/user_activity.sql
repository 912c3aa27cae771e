with w as (
    select
        user_id,
        min(event_ts) as first_seen_ts,
        max(event_ts) as last_seen_ts,
        arg_max(device, event_ts) as last_device,
        count(*) as window_clicks
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
) where "event_ts" >= TIMESTAMPTZ '2026-11-24 00:00:00+00:00' and "event_ts" < TIMESTAMPTZ '2026-11-25 00:00:00+00:00')
    group by user_id
)
select
    w.user_id,
    w.first_seen_ts,
    w.window_clicks as total_clicks,
    w.last_seen_ts,
    cast(w.last_seen_ts as date) as last_seen_date,
    w.last_device
from w

