"""Which environment variables hold secrets: their values never reach a manifest."""

from __future__ import annotations

import re

_SECRET_NAME = re.compile(
    r"(SECRET|PASSWORD|PASSWD|PASS$|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|_KEY$|^KEY$|AUTH|SALT|DSN|SIGNING|"
    r"ACCESS_KEY|CLIENT_SECRET|WEBHOOK)",
    re.IGNORECASE,
)
_NOT_SECRET = re.compile(r"(_PUBLIC_KEY$|PUBLISHABLE|_KEY_ID$|_PATH$|_FILE$|_URL_PATH$|^AUTH_ENABLED$)", re.IGNORECASE)
#: ``AUTH`` alone does not make a secret: ``NEXTAUTH_URL``, ``AUTH0_DOMAIN``, ``OAUTH_CLIENT_ID`` are settings.
_AUTH_SETTING = re.compile(r"AUTH\w*_(?:URL|URI|HOST|DOMAIN|ISSUER|ISSUER_URL|ENDPOINT|REALM|AUDIENCE|CLIENT_ID|"
                           r"TRUST_HOST|PROVIDER|PROVIDERS|MODE|TYPE|ENABLED|DISABLED|DEBUG)$", re.IGNORECASE)
_SECRET_WORD = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|_KEY|SALT|SIGNING)",
                          re.IGNORECASE)
_URL_WITH_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)
_CONNECTION_URL = re.compile(r"(DATABASE|DB|POSTGRES|MYSQL|MONGO|REDIS|AMQP|RABBIT|KAFKA|BROKER).*_?(URL|URI)$",
                             re.IGNORECASE)


def looks_secret(name: str, value: str | None = None) -> bool:
    """True for names like ``API_KEY``/``DB_PASSWORD``, connection URLs, or values with credentials.

    >>> looks_secret("STRIPE_SECRET_KEY"), looks_secret("PORT"), looks_secret("DATABASE_URL")
    (True, False, True)
    """
    if value and _URL_WITH_CREDENTIALS.match(value):
        return True
    if _NOT_SECRET.search(name):
        return False
    if _AUTH_SETTING.search(name) and not _SECRET_WORD.search(name) and not _CONNECTION_URL.search(name):
        return False
    return bool(_SECRET_NAME.search(name) or _CONNECTION_URL.search(name))
