"""Test settings: the embedded default (or DATABASE_URL/REDIS_URL when CI sets them), fast hashing."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="contest-test-media-"))
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
