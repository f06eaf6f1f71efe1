"""The durable outbox: Slack messages written in the same transaction as the change they report, delivered
by any replica (claimed with a lease), retried with backoff, one Slack message per row with its ts recorded."""
