"""A real SMTP server for the tests that mail people (nurturing)."""

from tests.monitoring.conftest import mail_settings, smtp  # noqa: F401 - fixtures
