"""E-mail: a message in the recipient's language (text and HTML) sent through the SMTP
server the settings name (ACCORD_SMTP_HOST, ...). `render` makes the message from a
template pair in `templates/`, `send` sends it."""

from accord.mail.render import Rendered, render
from accord.mail.sender import Mail, Mailer, MailError, build_message, send

__all__ = ["Mail", "MailError", "Mailer", "Rendered", "build_message", "render", "send"]
