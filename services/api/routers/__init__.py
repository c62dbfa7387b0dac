"""One router per resource family; services/api/app.py mounts them under /api/v1."""
