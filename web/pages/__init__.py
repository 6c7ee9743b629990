"""Server-rendered Chinese pages (Jinja2 + htmx)."""
