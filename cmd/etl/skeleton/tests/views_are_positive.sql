-- A singular test: every row it returns is a failure.
select * from {{ ref "daily_page_views" }} where views <= 0
