select page, section, title
from "pages"

