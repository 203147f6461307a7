"""Browser tests drive Debian's Chromium through Playwright (headless, no sandbox).

Without /usr/bin/chromium they are skipped, saying so; under CI (CI=true) they are required.
Install it with: apt-get install -y chromium fonts-noto-cjk

The `chromium` fixture lives in tests/conftest.py, so that every test file that drives the
browser shares one Playwright per test process (a second one in the same process fails).
"""

from tests.monitoring.conftest import smtp  # noqa: F401 - the SMTP server, for mail
