"""Worker liveness, so a task whose worker died is handed to another (docs/decisions)."""
