"""Canonical URLs, so one article reached by two links is recognised as one.

`canonical_url` lower-cases the scheme and host, drops the default port, the fragment and the
tracking parameters in TRACKING_PARAMS / TRACKING_PREFIXES (keeping every other parameter in its
order), and applies the site rewrites in SITE_REWRITES: the GovDelivery widget form of a bulletin
link becomes the account form, and USTR's `/about/` press paths become `/about-us/`. Anything that
is not an absolute http(s) URL comes back stripped but otherwise untouched. Pure string work.
"""
from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# Query parameters that only say where a click came from (compared case-insensitively).
TRACKING_PARAMS = frozenset({
    "oc",            # Google News (?oc=5)
    "wgt_ref",       # GovDelivery widget
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid",
    "cmpid", "cmp", "ocid",
    "mc_cid", "mc_eid",
    "ref", "rss", "_ga",
})
TRACKING_PREFIXES = ("utm_", "at_")   # utm_source …, BBC's at_medium / at_campaign …

# (host pattern, path pattern, path replacement): the same page under two paths.
SITE_REWRITES: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = (
    # https://content.govdelivery.com/bulletins/gd/USDHSCBP-3e8f1a2 → /accounts/USDHSCBP/bulletins/3e8f1a2
    (re.compile(r"^content\.govdelivery\.com$"),
     re.compile(r"^/bulletins/gd/([A-Za-z0-9]+)-([0-9A-Fa-f]+)/?$"), r"/accounts/\1/bulletins/\2"),
    # https://ustr.gov/about/policy-offices/… → /about-us/policy-offices/…
    (re.compile(r"^(www\.)?ustr\.gov$"), re.compile(r"^/about/policy-offices/"), "/about-us/policy-offices/"),
)
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The canonical form of an absolute http(s) URL; other strings come back stripped."""
    url = (url or "").strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        return url
    host = _host(parts.netloc, scheme)
    path = _rewrite_path(host, parts.path or "/")
    query = "&".join(_kept_params(parts.query))
    return urlunsplit((scheme, host, path, query, ""))


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _host(netloc: str, scheme: str) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    host, _, port = hostport.lower().partition(":")
    if port and port != str(DEFAULT_PORTS[scheme]):
        host = f"{host}:{port}"
    return f"{userinfo}@{host}" if userinfo else host


def _rewrite_path(host: str, path: str) -> str:
    for host_pattern, path_pattern, replacement in SITE_REWRITES:
        if host_pattern.match(host):
            path = path_pattern.sub(replacement, path, count=1)
    return path


def _kept_params(query: str) -> list[str]:
    """The raw `name=value` pieces that are not tracking, exactly as written (no re-encoding)."""
    pieces = [piece for piece in query.split("&") if piece]
    return [piece for piece in pieces if not is_tracking_param(unquote_plus(piece.partition("=")[0]))]
