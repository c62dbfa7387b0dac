"""Temporal workflows, activities, the event relay and the worker: deadlines and escalation."""
