select * from {{ ref "b" }}
