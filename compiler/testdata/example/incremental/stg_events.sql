select
    event_id,
    event_ts,
    user_id,
    session_id,
    lower(page) as page,
    coalesce(referrer, 'direct') as referrer,
    country,
    device
from read_parquet('$PROJECT/raw/events/**/*.parquet', hive_partitioning = true)
where user_agent not like '%bot%'

