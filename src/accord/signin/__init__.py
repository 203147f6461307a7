"""Signed-in browsers of the console and the portal: sessions, their cookie and CSRF token."""
