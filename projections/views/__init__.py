"""The read models, one module per view: its tables, its handlers (how each event it
follows changes its rows) and its read queries (what the API and the CLI ask of it).

status, scorecard, trends, places, inbox, reports, register and statistics; timeline is
no view but the audit timeline read from a recommendation's own events. What every
recommendation event means as fields is in recommendation_fields, shared by the
recommendation views and the timeline so that they cannot disagree; reading holds the
little the queries share. Views know nothing of how they are run: projections/engine/
runs them live, rebuilds and replays them. How to write one: projections/base.py.
"""
