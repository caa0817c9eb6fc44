"""Which SMTP refusals end a message's delivery (rejected) and which are retried."""

from __future__ import annotations

import smtplib

import pytest

from adapters.email import refused_for_good


@pytest.mark.parametrize(
    ("error", "final"),
    [
        (smtplib.SMTPRecipientsRefused({"ann@acme.test": (550, b"No such user")}), True),
        (smtplib.SMTPRecipientsRefused({"ann@acme.test": (450, b"Mailbox busy")}), False),
        (smtplib.SMTPDataError(554, b"Message rejected as spam"), True),
        (smtplib.SMTPDataError(451, b"Try again later"), False),
        # About our own set-up, not the message: fixed by configuration, then it should go.
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False),
        (smtplib.SMTPSenderRefused(550, b"Sender not allowed", "lessor@acme.test"), False),
    ],
    ids=["rcpt-550", "rcpt-450", "data-554", "data-451", "auth-535", "sender-550"],
)
def test_only_a_permanent_refusal_of_the_recipient_or_the_message_is_final(
    error: smtplib.SMTPException, final: bool
) -> None:
    assert refused_for_good(error) is final
