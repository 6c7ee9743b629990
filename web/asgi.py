"""ASGI entry point for multi-process serving (``uvicorn web.asgi:app --workers N``)."""

from web.app import create_app

app = create_app()
