"""Embedded default: SQLite (WAL), in-memory channel layer, local-memory cache, console email.

``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to channels_redis and a Redis cache, so the
same settings serve one laptop and several daphne processes behind nginx.
"""

import dj_database_url
from django.utils.translation import gettext_lazy as _

from . import env

BASE_DIR = env.BASE_DIR
SECRET_KEY = env.SECRET_KEY or "dev-only-insecure-key-change-me-in-production-0123456789"
DEBUG = env.DEBUG
ALLOWED_HOSTS = env.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS
SITE_URL = env.SITE_URL

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "channels",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "django_tasks",
    "django_tasks_db",
    "contests",
    "leaderboard",
    "quizzes",
    "live",
    "submissions",
    "judging",
    "forums",
    "privacy",  # added by wp-mydata16: "My data" (Decree 13/2023)
    "insights",
    "notifications",
    "appeals",
]

MIDDLEWARE = [
    "contest_site.logs.RequestLogMiddleware",  # first: a request id and one log line with the whole duration
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "contest_site.middleware.SecurityHeadersMiddleware",  # CSP and Permissions-Policy (static files need none)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last on purpose: it is sync-only, so Django switches the whole chain to sync once at the top instead
    # of hopping between threads at every middleware (measured: about +30 % requests per second).
    "contest_site.middleware.ChosenLanguageMiddleware",
    "contests.classes.firstpassword.FirstPasswordMiddleware",  # sync too: a pupil's first password (issue 16)
]

ROOT_URLCONF = "contest_site.urls"
ASGI_APPLICATION = "contest_site.asgi.application"
WSGI_APPLICATION = "contest_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "contests.context_processors.navigation",
                "judging.context_processors.judging",
                "notifications.context_processors.bell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
if env.DATABASE_URL:
    # Under ASGI every request runs in a thread of its own, so Django's persistent connections
    # (CONN_MAX_AGE) would open one connection per request and never reuse it. A pool per process,
    # capped, is the documented way: two daphne processes × 20 stay under PostgreSQL's 100.
    DATABASES = {"default": dj_database_url.parse(env.DATABASE_URL, conn_max_age=0)}
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env.DB_POOL_SIZE,
        "timeout": 20,
    }
    if env.DB_BEHIND_PGBOUNCER:
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
else:
    env.SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.SQLITE_PATH,
            # IMMEDIATE takes the write lock when a transaction starts, so concurrent writers wait
            # (busy timeout) instead of failing with "database is locked" half-way through.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ATTEMPT_LANES = env.ATTEMPT_LANES

# --- Channels and cache ---------------------------------------------------------------------
if env.REDIS_URL:
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": env.REDIS_URL,
                        # redis-py 8 reads with a 5 s socket timeout, the same as channels_redis' blocking pop:
                        # the read would time out just before the pop returns. Give the socket room.
                        "socket_timeout": 30,
                        "socket_connect_timeout": 5,
                        # After a Redis restart the pool holds dead connections and new ones are refused for a
                        # moment: retry (about 2.5 s in all) rather than fail, or every live socket's consumer
                        # dies with the error and the next broadcast is lost (tests/faults, Redis restarted).
                        "retry": Retry(ExponentialBackoff(cap=1, base=0.05), 5),
                        "retry_on_error": [RedisConnectionError],
                    }
                ],
                # Only the live hubs (one channel per process per game) receive messages: 500 queued events
                # means a hub is gone, and dropping beats filling Redis.
                "capacity": 500,
                # A dead process's hub leaves its games' groups after 6 h (no game lasts that long); a live
                # hub re-joins whenever a consumer attaches.
                "group_expiry": 6 * 3600,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.REDIS_URL,
            "KEY_PREFIX": "contest",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # 100,000 entries, not Django's default 300: at a rush each participant has a session and two navigation
    # flags here (contests.selectors.navigation_flag), and culling a third of the cache at 300 threw sessions
    # out (a database read each). Entries are small: 100,000 is tens of megabytes at most.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 100_000}}
    }

# Sessions are read on every request, the autosave of each answer included: Django's cached_db engine
# reads them from the cache (Redis, shared by all processes; in the embedded default the process's
# memory, which is right because it serves with one process) and writes through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Background jobs ------------------------------------------------------------------------
# Phone channels of notifications (SMS gateway, Zalo OA): dotted paths of ``notifications.backends`` classes.
# The console backend prints instead of sending; a provider's backend is added here and nowhere else.
NOTIFICATION_CHANNELS = ["notifications.backends.ConsoleBackend"]

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "attempts"]}}

# --- Accounts (django-allauth) -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_REDIRECT_URL = "profile_edit"
ACCOUNT_SIGNUP_FORM_CLASS = "contests.forms.SignupExtraForm"
ACCOUNT_ADAPTER = "contests.adapter.AccountAdapter"  # the profile is written by services.profile_create
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# allauth's own rate limits, stated explicitly so that they are visibly on.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
# Google login: add a "Social application" for Google in the admin; no code change needed.
SOCIALACCOUNT_PROVIDERS = {"google": {"SCOPE": ["profile", "email"], "AUTH_PARAMS": {"access_type": "online"}}}
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True

# Django's default hashers, then the one for login cards' temporary passwords (contests/classes/hashers.py).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "contests.classes.hashers.TemporaryPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email ------------------------------------------------------------------------------------
if env.EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.EMAIL_HOST
    EMAIL_PORT = env.EMAIL_PORT
    EMAIL_HOST_USER = env.EMAIL_HOST_USER
    EMAIL_HOST_PASSWORD = env.EMAIL_HOST_PASSWORD
    EMAIL_USE_TLS = env.EMAIL_USE_TLS
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.DEFAULT_FROM_EMAIL
SERVER_EMAIL = env.DEFAULT_FROM_EMAIL

# --- Languages, time, formats ----------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["contest_site.formats"]

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Collected files (production, or `collectstatic` when STATIC_ROOT is set); the embedded default needs none.
STATIC_ROOT = env.STATIC_ROOT if env.STATIC_ROOT_SET else None
# Media live outside any public folder and there is no MEDIA_URL route: every file is served by a
# view that checks permission first (public banners included, through a view that allows everyone).
MEDIA_ROOT = env.MEDIA_ROOT
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The embedded default serves static files from the source folders through WhiteNoise (no collectstatic);
# production collects them and nginx serves STATIC_ROOT (docs/deployment.md).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_X_ACCEL_PREFIX = env.MEDIA_X_ACCEL_PREFIX
# Object storage when a bucket is named: no public URLs, only signed ones (contest_site/serving.py
# redirects to one after the permission check), a name is never overwritten (generated names, as on disk).
MEDIA_S3_BUCKET = env.MEDIA_S3_BUCKET
MEDIA_S3_URL_EXPIRY_S = env.MEDIA_S3_URL_EXPIRY_S


def _s3_transfer_config():
    """Bounded memory per file sent to the bucket: 8 MB parts, two at a time (boto3's default is ten parts
    of 8 MB in flight — 80 MB for each finished upload a daphne process moves)."""
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=2)


if MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env.MEDIA_S3_ENDPOINT_URL or None,
            "region_name": env.MEDIA_S3_REGION,
            "access_key": env.MEDIA_S3_ACCESS_KEY_ID or None,
            "secret_key": env.MEDIA_S3_SECRET_ACCESS_KEY or None,
            "addressing_style": env.MEDIA_S3_ADDRESSING_STYLE,
            "signature_version": "s3v4",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": MEDIA_S3_URL_EXPIRY_S,
            "file_overwrite": False,
            "location": "media",
            "transfer_config": _s3_transfer_config(),
        },
    }
FILE_UPLOAD_TEMP_DIR = env.UPLOAD_TEMP_DIR or None
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Platform maximum of a multipart upload body, refused above it before it is read (contest_site/bodylimits.py).
UPLOAD_MAX_BYTES = env.UPLOAD_MAX_MB * 1024 * 1024
# Recordings: the platform's maxima (a round may only be stricter on duration) and the transcode's time budget.
MEDIA_MAX_LINES = env.MEDIA_MAX_LINES  # shorter side of the picture: 2160 = 4K
MEDIA_MAX_FPS = env.MEDIA_MAX_FPS
MEDIA_MAX_CHANNELS = env.MEDIA_MAX_CHANNELS  # more than 2 are downmixed to stereo; more than this are refused
MEDIA_MAX_SAMPLE_RATE = env.MEDIA_MAX_SAMPLE_RATE
MEDIA_TRANSCODE_BUDGET_FACTOR = env.MEDIA_TRANSCODE_BUDGET_FACTOR
MEDIA_TRANSCODE_BUDGET_BASE_S = env.MEDIA_TRANSCODE_BUDGET_BASE_S

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Security defaults that hold in every mode ------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"  # the embeddable board opts out with @xframe_options_exempt (and CSP follows)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): only our own files run and style pages, so an injected <script>,
# inline handler or style attribute does nothing. No inline code anywhere: behaviour lives in static/js,
# looks in static/css; <script type="application/json"> data blocks are data, not code, and stay allowed.
# contest_site.middleware adds this host's WebSockets to connect-src and frame-ancestors * for the
# embeddable board.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # Google sign-in posts to our /accounts/google/login/, which redirects there: browsers check the
        # redirect against form-action too.
        "form-action": ["'self'", "https://accounts.google.com"],
        "frame-ancestors": ["'none'"],
    }
}
# With object storage, media views redirect to signed URLs of the bucket's origin: players, images and the
# waveform's fetch follow that redirect, and CSP checks the redirected request too.
if MEDIA_S3_BUCKET:
    for _directive in ("img-src", "media-src", "connect-src"):
        CONTENT_SECURITY_POLICY["DIRECTIVES"][_directive].append(
            env.media_s3_origin(
                env.MEDIA_S3_ENDPOINT_URL,
                bucket=MEDIA_S3_BUCKET,
                region=env.MEDIA_S3_REGION,
                style=env.MEDIA_S3_ADDRESSING_STYLE,
            )
        )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "contest_site.logs.RequestContextFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request"]}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
# Who gets an e-mail with the traceback of a server error (Django's mail_admins, production only).
ADMINS = env.ADMINS
