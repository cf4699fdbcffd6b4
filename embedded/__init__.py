"""The embedded defaults behind `make run`: dev Temporal server, SQLite, a local mail catcher."""
