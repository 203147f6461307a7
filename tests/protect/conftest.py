"""The protect tests use the monitoring tests' real SMTP server."""

from tests.monitoring.conftest import mail_settings, smtp  # noqa: F401 - fixtures
