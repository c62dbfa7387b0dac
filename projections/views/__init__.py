"""The read models, one module per view: its tables, its handlers (how each event it
follows changes its rows) and its read queries (what the API and the CLI ask of it).

status, scorecard, trends, places, timeline (the audit view) and inbox. What every
recommendation event means as fields is in recommendation_fields, shared by the five
recommendation views so that they cannot disagree; reading holds the little the queries
share. Views know nothing of how they are run: projections/engine/ runs them live,
rebuilds and replays them. How to write one: projections/base.py.
"""
