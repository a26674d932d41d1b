"""Secret-looking env names: credentials are secret, auth *settings* (URLs, domains, client ids) are not."""

from __future__ import annotations

import pytest

from kubify.signals.secrets import looks_secret


@pytest.mark.parametrize("name", ["NEXTAUTH_URL", "AUTH_URL", "AUTH0_DOMAIN", "AUTH0_ISSUER_BASE_URL",
                                  "OAUTH_CLIENT_ID", "AUTH_TRUST_HOST", "KEYCLOAK_AUTH_REALM", "AUTH_ENABLED"])
def test_auth_settings_are_not_secret(name: str) -> None:
    assert not looks_secret(name, "https://example.com")


@pytest.mark.parametrize("name", ["NEXTAUTH_SECRET", "AUTH_SECRET", "AUTH0_CLIENT_SECRET", "BASIC_AUTH",
                                  "AUTH_TOKEN_URL_KEY", "AUTH_DATABASE_URL", "JWT_AUTH_KEY", "GITHUB_AUTH_TOKEN"])
def test_auth_credentials_stay_secret(name: str) -> None:
    assert looks_secret(name)


def test_an_auth_url_with_credentials_in_its_value_is_secret() -> None:
    assert looks_secret("NEXTAUTH_URL", "https://user:pass@example.com")
