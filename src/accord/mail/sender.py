"""Sending e-mail through an SMTP server, with the standard library.

A `Mail` is what to send: recipients, a subject (any language: non-ASCII subjects are
encoded as RFC 2047 UTF-8 words) and a plain-text body with an HTML alternative
(multipart/alternative). `Mailer` holds the server from the settings:

- ACCORD_SMTP_HOST, ACCORD_SMTP_PORT (587);
- ACCORD_SMTP_STARTTLS (true: upgrade to TLS before logging in; refused if the server
  cannot);
- ACCORD_SMTP_USER and ACCORD_SMTP_PASSWORD (log in when a user is given);
- ACCORD_MAIL_FROM, the sender.

One connection per `send_many`; a failure raises `MailError` saying what went wrong.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from accord.clock import SystemClock
from accord.errors import AccordError
from accord.settings import Settings, get_settings

#: Seconds to wait for the SMTP server.
TIMEOUT = 30


class MailError(AccordError):
    """The e-mail could not be sent: no server is configured, or the server refused."""

    code = "mail_failed"
    status = 503


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: the From line, when not the settings' sender (a program's or a campaign's name)
    sender: str | None = None


def build_message(mail: Mail, sender: str, *, now=None) -> EmailMessage:
    """The MIME message: text/plain, with text/html as its alternative, all UTF-8."""
    if not mail.to:
        raise MailError("an e-mail needs at least one recipient")
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = mail.sender or sender
    message["To"] = ", ".join(mail.to)
    message["Date"] = format_datetime(now or SystemClock().now())
    domain = sender.rpartition("@")[2].strip(" >") or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text, charset="utf-8")
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html", charset="utf-8")
    return message


class Mailer:
    """The SMTP server of the settings."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @property
    def configured(self) -> bool:
        return bool(self.settings.smtp_host)

    def send(self, mail: Mail) -> None:
        self.send_many([mail])

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if not s.smtp_host:
            raise MailError("no e-mail server is set up: set ACCORD_SMTP_HOST (and its port)")
        server = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT)
        try:
            server.ehlo()
            if s.smtp_starttls:
                if not server.has_extn("starttls"):
                    raise MailError(
                        f"the e-mail server {s.smtp_host}:{s.smtp_port} does not offer "
                        "STARTTLS; set ACCORD_SMTP_STARTTLS=false only for a local server"
                    )
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if s.smtp_user:
                server.login(s.smtp_user, s.smtp_password or "")
        except BaseException:
            server.close()
            raise
        return server

    def _failed(self, exc: BaseException) -> MailError:
        s = self.settings
        return MailError(
            f"the e-mail server {s.smtp_host}:{s.smtp_port} refused or could not be reached: {exc}"
        )

    def send_many(self, mails: Sequence[Mail]) -> int:
        """Send each mail over one connection; returns how many were sent."""
        if not mails:
            return 0
        messages = [build_message(m, self.settings.mail_from) for m in mails]
        try:
            with self._connect() as server:
                for message in messages:
                    server.send_message(message)
        except MailError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise self._failed(exc) from exc
        return len(messages)

    def send_each(self, mails: Sequence[Mail]) -> list[str | None]:
        """Send each mail over one connection, one refusal not stopping the others;
        returns each mail's error (None: accepted by the server). A server that cannot be
        reached fails them all with its reason."""
        if not mails:
            return []
        errors: list[str | None] = []
        try:
            with self._connect() as server:
                for mail in mails:
                    try:
                        server.send_message(build_message(mail, self.settings.mail_from))
                        errors.append(None)
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError,
                            smtplib.SMTPSenderRefused) as refused:  # fmt: skip
                        errors.append(f"refused: {refused}"[:1000])
        except MailError as failure:
            return errors + [failure.message] * (len(mails) - len(errors))
        except (smtplib.SMTPException, OSError) as exc:
            reason = self._failed(exc).message[:1000]
            return errors + [reason] * (len(mails) - len(errors))
        return errors


def send(mail: Mail, settings: Settings | None = None) -> None:
    """Send one mail through the settings' SMTP server."""
    Mailer(settings).send(mail)


def address(email: str, name: str | None = None) -> str:
    """`Name <email>` with the name encoded as needed."""
    user, _, domain = email.partition("@")
    return str(Address(display_name=name or "", username=user, domain=domain))
