"""Schema revisions of the customer store."""
