"""The read models and what runs them.

- base.py, facts.py, events.py: what a view is written with (View, Table, Rows, @on;
  the Fact a handler is given; the domain's event classes by which handlers are
  declared);
- views/: one module per view, its handlers and its queries;
- engine/: the registry of views, live running, rebuild, replay, read-your-writes and
  as-of answers.

Imports go one way: engine -> views -> base, facts, events.
"""
