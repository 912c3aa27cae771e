select * from {{ ref "c" }}
