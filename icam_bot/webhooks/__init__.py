"""Outbound webhooks: events (item created, assigned, escalated, resolved; announcement sent) written as delivery
rows in the same transaction as the change, then POSTed, signed, by any replica with retries, backoff and a
dead-letter state (docs/operating.md#outbound-webhooks)."""
