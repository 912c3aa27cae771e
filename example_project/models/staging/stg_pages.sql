/*---
tags = ["staging"]
---*/
select page, section, title
from {{ ref "pages" }}
