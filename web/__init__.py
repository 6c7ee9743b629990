"""The HTTP face of Jiebang: JSON API, Chinese pages, auth, the app factory and the CLI."""
