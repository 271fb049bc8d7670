"""canonical_url: one article, one URL, whatever tracking or site quirk the link carried."""
from __future__ import annotations

import pytest

from tradewatch.urls import canonical_url, is_tracking_param

CASES = {
    "google news oc": ("https://news.google.com/rss/articles/CBMiABC?oc=5", "https://news.google.com/rss/articles/CBMiABC"),
    "bbc at_ params": ("https://www.bbc.co.uk/news/articles/c1?at_medium=RSS&at_campaign=rss",
                       "https://www.bbc.co.uk/news/articles/c1"),
    "utm and other params kept in order": ("https://x.com/a?b=2&utm_source=rss&a=1&utm_medium=feed",
                                           "https://x.com/a?b=2&a=1"),
    "click ids": ("https://x.com/a?fbclid=IwAR0&gclid=Cj0&cmpid=rss&ref=home&rss=1&id=9", "https://x.com/a?id=9"),
    "tracking name case": ("https://x.com/a?UTM_Source=x&AT_medium=y", "https://x.com/a"),
    "scheme, host, default port, fragment": ("HTTPS://WWW.Example.COM:443/Path/Case?x=1#top",
                                             "https://www.example.com/Path/Case?x=1"),
    "non-default port kept": ("http://Example.com:8080/a", "http://example.com:8080/a"),
    "http default port": ("http://example.com:80/a", "http://example.com/a"),
    "empty path": ("https://example.com", "https://example.com/"),
    "raw values not re-encoded": ("https://x.com/s?q=a%20b&flag&conditions%5Bterm%5D=x+y",
                                  "https://x.com/s?q=a%20b&flag&conditions%5Bterm%5D=x+y"),
    "govdelivery widget form": ("https://content.govdelivery.com/bulletins/gd/USDHSCBP-3e8f1a2?wgt_ref=USDHSCBP_WIDGET_2",
                                "https://content.govdelivery.com/accounts/USDHSCBP/bulletins/3e8f1a2"),
    "govdelivery account form unchanged": ("https://content.govdelivery.com/accounts/USDHSCBP/bulletins/3e8f1a2",
                                           "https://content.govdelivery.com/accounts/USDHSCBP/bulletins/3e8f1a2"),
    "ustr about → about-us": ("https://ustr.gov/about/policy-offices/press-office/press-releases/2026/september/x",
                              "https://ustr.gov/about-us/policy-offices/press-office/press-releases/2026/september/x"),
    "ustr about-us unchanged": ("https://ustr.gov/about-us/policy-offices/press-office/press-releases",
                                "https://ustr.gov/about-us/policy-offices/press-office/press-releases"),
    "other sites' /about/ untouched": ("https://example.gov/about/policy-offices/x", "https://example.gov/about/policy-offices/x"),
    "chinese path kept": ("https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/art_1.html#分页",
                          "https://www.mofcom.gov.cn/zwgk/zcfb/art/2026/art_1.html"),
    "not http": ("mailto:press@example.gov", "mailto:press@example.gov"),
    "relative is left alone": ("/news/a?utm_source=x", "/news/a?utm_source=x"),
    "blank": ("  ", ""),
}


@pytest.mark.parametrize(("url", "want"), list(CASES.values()), ids=list(CASES))
def test_canonical_url(url, want):
    assert canonical_url(url) == want


@pytest.mark.parametrize("url", [want for _, want in CASES.values()])
def test_canonical_url_is_idempotent(url):
    assert canonical_url(canonical_url(url)) == canonical_url(url)


def test_tracking_params():
    assert is_tracking_param("utm_content") and is_tracking_param("at_custom1") and is_tracking_param("wgt_ref")
    assert not is_tracking_param("page") and not is_tracking_param("id") and not is_tracking_param("q")
