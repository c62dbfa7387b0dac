"""Read models built from the notification log: status views, statistics, audit timeline."""
