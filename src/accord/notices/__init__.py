"""Notices: the e-mail Accord sends people about their own affairs (an application
received, approved or declined, a contract version to accept, a payout sent, a postback
endpoint failing, a password reset), kept in an outbox and sent through the SMTP server of
the settings. Without a server the mails wait in the outbox, where a manager can read them,
and leave it once a server is set up."""
