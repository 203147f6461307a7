"""Outbound postbacks: rules, use cases, the API and a real receiver."""
