/*---
materialized = "table"
---*/
select id,
       count(*) as n
from {{ ref "stg_evnts" }}
group by id
