"""What runs the views: the registry of views, the live projector with its tracking
recorders, read-your-writes, the rebuild (with its fold of recommendation events) and
the replay that checks the live views against the events, and as-of answers from the
events themselves. The views (projections/views/) are written without any of this, as
projections/base.py describes.
"""
