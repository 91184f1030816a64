"""Production: secrets from the environment, HTTPS only, strict cookies, HSTS.

``python manage.py check --deploy`` passes with no warnings given SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL (see docs/deployment.md).
"""

from django.core.exceptions import ImproperlyConfigured

from . import env
from .base import *  # noqa: F403

if not env.SECRET_KEY or len(env.SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to at least 50 random characters in production.")
SECRET_KEY = env.SECRET_KEY
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.SECURE_SSL_REDIRECT
SECURE_HSTS_SECONDS = env.SECURE_HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
STATIC_ROOT = env.STATIC_ROOT

# One JSON object per line on stderr (journald, or the log files of scripts/serve-prod): the request fields of
# contest_site/logs.py on every line logged during a request, and server errors mailed to ADMINS.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request": {"()": "contest_site.logs.RequestContextFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {"json": {"()": "contest_site.logs.JsonFormatter"}},
    "handlers": {
        "json": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "request"],
        },
    },
    "root": {"handlers": ["json"], "level": "INFO"},
    "loggers": {
        "django": {"handlers": ["json", "mail_admins"], "level": "INFO", "propagate": False},
        "django.channels.server": {"level": "WARNING"},
    },
}
