"""The one place where the environment is read.

Every setting that differs between the embedded default and a scale-out deployment comes from here,
so that a reader sees the whole configuration surface at once.
"""

import os
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = _bool("DEBUG", False)
ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "20"))  # PostgreSQL connections per daphne process
# DATABASE_URL points at PgBouncer in transaction mode (docs/deployment.md, several machines): no server-side
# cursors and no prepared statements, which live in a server session a transaction pooler does not keep.
DB_BEHIND_PGBOUNCER = _bool("DB_BEHIND_PGBOUNCER", False)
# The timed attempt's pages served at once per process (quizzes/attempt_door.py): 1 unless the database is
# far enough for a second page to run while one waits on the network.
ATTEMPT_LANES = max(1, int(os.environ.get("ATTEMPT_LANES", "1")))  # 0 would serve none of them
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "var" / "db.sqlite3"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATIC_ROOT_SET = "STATIC_ROOT" in os.environ
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# nginx location (marked internal) that serves MEDIA_ROOT after the permission check, e.g. "/_protected/".
MEDIA_X_ACCEL_PREFIX = os.environ.get("MEDIA_X_ACCEL_PREFIX", "")
# Object storage for media (docs/deployment.md, "Several hosts"): with MEDIA_S3_BUCKET set, every recording,
# poster, image and finished upload lives in that bucket (private; served through short-lived signed URLs)
# instead of MEDIA_ROOT. Any S3-compatible service: MinIO, Ceph RGW, AWS S3…
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
MEDIA_S3_ENDPOINT_URL = os.environ.get("MEDIA_S3_ENDPOINT_URL", "")  # empty: AWS itself
MEDIA_S3_REGION = os.environ.get("MEDIA_S3_REGION", "us-east-1")
MEDIA_S3_ACCESS_KEY_ID = os.environ.get("MEDIA_S3_ACCESS_KEY_ID", "")
MEDIA_S3_SECRET_ACCESS_KEY = os.environ.get("MEDIA_S3_SECRET_ACCESS_KEY", "")
# How long a signed media URL stays valid: long enough to start playing and seek (a player re-asks the app
# for a new one when it reloads), short enough that a copied link soon stops working.
MEDIA_S3_URL_EXPIRY_S = int(os.environ.get("MEDIA_S3_URL_EXPIRY_S", "300"))
# "path" (endpoint/bucket/key: MinIO, Ceph, moto) or "virtual" (bucket.endpoint/key: AWS).
MEDIA_S3_ADDRESSING_STYLE = os.environ.get("MEDIA_S3_ADDRESSING_STYLE", "path")


def media_s3_origin(endpoint: str, *, bucket: str, region: str, style: str) -> str:
    """The origin browsers fetch signed media URLs from (for CSP): the endpoint's, or the bucket's own
    host under virtual-host addressing; AWS's regional host when no endpoint is given."""
    parts = urlsplit(endpoint or f"https://s3.{region}.amazonaws.com")
    host = parts.netloc if style == "path" else f"{bucket}.{parts.netloc}"
    return f"{parts.scheme}://{host}"


# Where uploads are spooled while they stream in: a real disk, never a RAM-backed /tmp.
UPLOAD_TEMP_DIR = os.environ.get("UPLOAD_TEMP_DIR", "")
# The largest request body of any upload route (a reading round's "maximum file size" plus form fields), in MB:
# the same number as nginx's client_max_body_size on the upload locations.
UPLOAD_MAX_MB = int(os.environ.get("UPLOAD_MAX_MB", "600"))
# The most a recording may hold, whatever the round (docs/submissions.md, "Limits"), and the time a
# transcode may take: MEDIA_TRANSCODE_BUDGET_FACTOR × duration + MEDIA_TRANSCODE_BUDGET_BASE_S seconds.
MEDIA_MAX_LINES = int(os.environ.get("MEDIA_MAX_LINES", "2160"))
MEDIA_MAX_FPS = int(os.environ.get("MEDIA_MAX_FPS", "60"))
MEDIA_MAX_CHANNELS = int(os.environ.get("MEDIA_MAX_CHANNELS", "8"))
MEDIA_MAX_SAMPLE_RATE = int(os.environ.get("MEDIA_MAX_SAMPLE_RATE", "96000"))
MEDIA_TRANSCODE_BUDGET_FACTOR = float(os.environ.get("MEDIA_TRANSCODE_BUDGET_FACTOR", "3"))
MEDIA_TRANSCODE_BUDGET_BASE_S = float(os.environ.get("MEDIA_TRANSCODE_BUDGET_BASE_S", "60"))

EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tuần lễ học tập suốt đời <no-reply@localhost>")

# "Name <address>, other@example.vn": who is mailed a server error's traceback in production (empty: nobody).
ADMINS = [(name or address, address) for name, address in map(parseaddr, _list("ADMINS", "")) if address]

SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
