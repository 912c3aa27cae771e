/*---
materialised = "table"
---*/
select 1
