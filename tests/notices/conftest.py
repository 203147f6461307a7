"""A real SMTP server for the notices' tests, and settings that send Accord's mail to it."""

from tests.monitoring.conftest import mail_settings, smtp  # noqa: F401 - fixtures
