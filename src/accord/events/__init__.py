"""Domain events between stages: an outbox written in the changing transaction, handled at
least once by idempotent subscribers (see accord.events.service and accord.events.dispatch)."""
