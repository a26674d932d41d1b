"""What a base image name tells us: language hints, static web servers, users, tags.

Only the image *reference* is read (``python:3.12-slim``, ``gcr.io/distroless/nodejs20``):
kubify never pulls images. These are weak hints — the Dockerfile analyzer records them
with low confidence so a language analyzer that read the code always wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubify.signals.images import ImageRef, split_image

#: Official images whose name says the language (tag = language version where marked True).
_LANGUAGES: dict[str, tuple[str, bool]] = {
    "python": ("python", True), "pypy": ("python", True),
    "node": ("node", True),
    "golang": ("go", True),
    "ruby": ("ruby", True), "jruby": ("ruby", False),
    "php": ("php", True),
    "openjdk": ("java", True), "eclipse-temurin": ("java", True), "amazoncorretto": ("java", True),
    "ibm-semeru-runtimes": ("java", False), "sapmachine": ("java", True), "maven": ("java", False),
    "gradle": ("java", False),
    "rust": ("rust", True),
    "elixir": ("elixir", True), "erlang": ("erlang", True),
    "swift": ("swift", True), "dart": ("dart", True), "haskell": ("haskell", True),
}
#: Distroless / Chainguard style names carry the runtime and its major version: nodejs20, python3, java21.
_RUNTIME_IN_NAME = re.compile(r"^(python|nodejs|node|java)(\d+)?(?:-|$)")
#: Third-party images that pin the runtime in the tag: uv:python3.12-bookworm, tiangolo/...:python3.11.
_PYTHON_IN_TAG = re.compile(r"(?:^|-)python(\d+(?:\.\d+)?)")
_VERSION = re.compile(r"^v?(\d+(?:\.\d+){0,2})")
_FRAMEWORKS: tuple[tuple[str, str], ...] = (("fastapi", "fastapi"), ("flask", "flask"), ("django", "django"))

#: Web servers that serve files; the port their official image exposes.
_STATIC_SERVERS: dict[str, int] = {
    "nginx": 80, "nginx-unprivileged": 8080, "httpd": 80, "caddy": 80, "static-web-server": 80,
    "lighttpd": 80, "openresty": 80,
}
#: Where those servers look for files: a COPY to one of these makes the image a static site.
WEB_ROOTS: tuple[str, ...] = (
    "/usr/share/nginx/html", "/usr/local/apache2/htdocs", "/var/www", "/srv", "/usr/share/caddy",
    "/usr/local/openresty/nginx/html", "/public",
)
_ROOT_USERS = frozenset({"root", "0", "root:root", "0:0", "root:0", "0:root"})


@dataclass(frozen=True)
class LanguageHint:
    language: str
    version: str | None = None
    framework: str | None = None


def _image_ref(reference: str) -> ImageRef:
    """The reference, lowercased, split even when malformed: a FROM line is read for hints, not validated."""
    return split_image(reference.lower())


def language_of(reference: str) -> LanguageHint | None:
    """The language runtime an image provides, judging by its name and tag only."""
    image = _image_ref(reference)
    framework = next((fw for needle, fw in _FRAMEWORKS if needle in image.name), None)
    if image.name in _LANGUAGES:
        language, tag_is_version = _LANGUAGES[image.name]
        return LanguageHint(language, _version(image.tag) if tag_is_version else None, framework)
    if "/dotnet/" in f"/{image.repository}/":
        return LanguageHint("dotnet", _version(image.tag))
    named = _RUNTIME_IN_NAME.match(image.name)
    if named:
        language = {"nodejs": "node", "node": "node"}.get(named.group(1), named.group(1))
        return LanguageHint(language, named.group(2), framework)
    tagged = _PYTHON_IN_TAG.search(image.tag or "")
    if tagged:
        return LanguageHint("python", tagged.group(1), framework)
    return None


def _version(tag: str | None) -> str | None:
    match = _VERSION.match(tag or "")
    return match.group(1) if match else None


def static_server_port(reference: str) -> int | None:
    """The port a static web server image listens on by default, or None if it is not one."""
    image = _image_ref(reference)
    if image.name not in _STATIC_SERVERS:
        return None
    return 8080 if image.repository.startswith("bitnami/") else _STATIC_SERVERS[image.name]


def runs_as_non_root(reference: str) -> bool:
    """Images known to set a non-root USER themselves (distroless ``:nonroot``, Chainguard, Bitnami)."""
    image = _image_ref(reference)
    tag = image.tag or ""
    return ("nonroot" in tag or image.name == "nginx-unprivileged" or image.repository.startswith("bitnami/")
            or (image.registry == "cgr.dev" and "-dev" not in tag))


def is_root_user(user: str) -> bool:
    return user.strip().lower() in _ROOT_USERS


def floating_tag(reference: str) -> str | None:
    """``"latest"`` or ``"no tag"`` when the reference is not pinned; None when it is."""
    image = _image_ref(reference)
    if image.digest or image.name == "scratch":
        return None
    if image.tag is None:
        return "no tag"
    return "latest" if image.tag == "latest" else None
