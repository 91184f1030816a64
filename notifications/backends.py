"""Senders for the phone channel (SMS, Zalo OA): ``settings.NOTIFICATION_CHANNELS`` lists their dotted paths.

A backend is a class whose ``send(*, phone, text, notification)`` delivers one message or raises; the
delivery job records the error and the sweep retries. The default writes to the console (like Django's
console e-mail backend), so that nothing is ever sent to a provider from a laptop or a test. A provider
backend (an SMS gateway, Zalo OA's API) is a class of a few lines with its credentials read from the
environment in its ``__init__``.
"""

from __future__ import annotations

import sys

from django.utils.module_loading import import_string


class ConsoleBackend:
    """Writes each message to standard output."""

    def send(self, *, phone: str, text: str, notification) -> None:
        sys.stdout.write(f"[notification to {phone}] {text}\n")
        sys.stdout.flush()


class MemoryBackend:
    """Keeps messages in ``MemoryBackend.outbox`` (tests and local checks)."""

    outbox: list[dict] = []

    def send(self, *, phone: str, text: str, notification) -> None:
        MemoryBackend.outbox.append({"phone": phone, "text": text, "notification": notification.pk})


def backend(path: str):
    return import_string(path)()
