"""The recommendation-tracking domain: aggregates, their events, and the policies
(deadline arithmetic, escalation ladders) that the field's own guidance prescribes."""
