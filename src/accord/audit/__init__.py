"""The audit log: who changed money, contracts, settings, keys and users, when, from where,
and what the values were before and after. Recorded by the store itself (see recorder), so
no use case can forget it; append-only."""
