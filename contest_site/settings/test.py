"""Test settings: the embedded default (or DATABASE_URL/REDIS_URL when CI sets them), fast hashing."""

import os
import tempfile
import uuid
from pathlib import Path

# MEDIA_STORAGE=s3 (CI's storage run, `make test-s3`): media on an S3 endpoint instead of the disk. Without
# MEDIA_S3_ENDPOINT_URL a local one (moto) is started for this run, before base.py reads the environment.
if os.environ.get("MEDIA_STORAGE") == "s3" and not os.environ.get("MEDIA_S3_ENDPOINT_URL"):
    from contest_site.local_s3 import start_for_this_process

    start_for_this_process()

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="contest-test-media-"))
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# On Redis (CI's second run) each test run gets its own key space, so that rate-limit counters or
# group memberships of an earlier run never leak into this one.
_RUN = uuid.uuid4().hex[:8]
if "redis" in CACHES["default"]["BACKEND"].lower():  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = f"test-{_RUN}"  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"test-{_RUN}"  # noqa: F405
