"""The sources catalog: the shipped file is valid, and every kind of mistake is named."""
from datetime import timedelta
from pathlib import Path

import pytest

from tradewatch.ingest.catalog import load_catalog, parse_catalog, parse_interval
from tradewatch.errors import CatalogError

ROOT = Path(__file__).resolve().parents[2]

GOOD = {"id": "fr-bis", "name": "FR BIS", "kind": "federal_register",
        "url": "https://www.federalregister.gov/api/v1/documents.json", "authority": "official",
        "country": "US", "lang": "en", "every": "15m"}


def entry(**changes):
    data = dict(GOOD, **changes)
    return {k: v for k, v in data.items() if v is not None}


def test_shipped_catalog_loads_with_the_required_sources():
    sources = load_catalog(ROOT / "sources.toml")
    ids = {s.id for s in sources}
    assert {"mofcom-zcfb", "mofcom-rcxwfb", "mfa-zh-statements", "mfa-en-pressconf", "mof-tariff-commission",
            "fr-bis", "fr-ustr", "fr-cbp", "fr-ita", "fr-presidential", "whitehouse-actions", "ustr-press",
            "cbp-csms", "eu-presscorner", "eu-dg-trade", "bbc-business", "cnbc-top", "scmp-china"} <= ids
    google = [s for s in sources if "news.google.com" in s.url]
    assert google and not any(s.enabled for s in google)
    assert all(s.authority == "official" for s in sources if s.id.startswith(("fr-", "mofcom-")))


@pytest.mark.parametrize("raw, expected", [
    ("5s", timedelta(seconds=5)), ("10m", timedelta(minutes=10)), ("2h", timedelta(hours=2)),
])
def test_intervals(raw, expected):
    assert parse_interval(raw) == expected


@pytest.mark.parametrize("changes, fragment", [
    ({"kind": "carrier-pigeon"}, "key 'kind'"),
    ({"every": "10 minutes"}, "key 'every'"),
    ({"every": "0m"}, "key 'every'"),
    ({"url": "ftp://example.org/x"}, "key 'url'"),
    ({"url": None}, "key 'url'"),
    ({"authority": "blog"}, "key 'authority'"),
    ({"colour": "red"}, "key 'colour'"),
    ({"enabled": "yes"}, "key 'enabled'"),
    ({"id": "Has Spaces"}, "key 'id'"),
    ({"title_filter": "(unclosed"}, "key 'title_filter'"),
])
def test_bad_entries_name_source_and_key(changes, fragment):
    with pytest.raises(CatalogError) as err:
        parse_catalog({"source": [entry(**changes)]}, "test.toml")
    assert fragment in str(err.value)
    assert "test.toml" in str(err.value)


def test_duplicate_id_is_refused():
    with pytest.raises(CatalogError, match="'fr-bis': key 'id' is a duplicate"):
        parse_catalog({"source": [entry(), entry()]})


def test_html_kind_needs_selectors():
    with pytest.raises(CatalogError, match="key 'select'"):
        parse_catalog({"source": [entry(kind="html", url="https://ustr.gov/x")]})
    with pytest.raises(CatalogError, match="select.colour"):
        parse_catalog({"source": [entry(kind="html", select={"item": "li", "title": "a", "link": "a@href",
                                                                 "colour": "x"})]})


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[source]\nid=")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(bad)


HTML = {"kind": "html", "url": "https://ustr.gov/x"}


@pytest.mark.parametrize("select, fragment", [
    ({"item": "ul.list > li[", "title": "a", "link": "a@href"}, "key 'select.item'"),
    ({"item": "li", "title": "a:nth-child(", "link": "a@href"}, "key 'select.title'"),
    ({"item": "li", "title": "a", "link": "a@"}, "key 'select.link'"),
    ({"item": "li@href", "title": "a", "link": "a@href"}, "key 'select.item'"),
    ({"item": "li", "title": "a", "link": "a@href", "date": ">>"}, "key 'select.date'"),
])
def test_an_invalid_selector_is_refused_at_load(select, fragment):
    """Issue 9 #9: an invalid CSS selector was accepted until the first fetch."""
    with pytest.raises(CatalogError) as err:
        parse_catalog({"source": [entry(**HTML, select=select)]}, "test.toml")
    assert fragment in str(err.value) and "'fr-bis'" in str(err.value)


def test_valid_selectors_and_a_date_format_load():
    [source] = parse_catalog({"source": [entry(**HTML, select={"item": "ul.txtList_01 > li", "title": "a@title",
                                                             "link": "@href", "date": "span",
                                                             "date_format": "[%Y-%m-%d]"})]})
    assert source.select["date_format"] == "[%Y-%m-%d]"


@pytest.mark.parametrize("entries", [[1, 2], ["fr-bis"], [[]]])
def test_entries_that_are_not_tables_are_refused(entries):
    """Issue 9 #9: `source = [1, 2]` crashed with a traceback."""
    with pytest.raises(CatalogError, match="source #1 is .* not a table"):
        parse_catalog({"source": entries}, "test.toml")


def test_a_directory_as_the_catalog_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="is a directory"):
        load_catalog(tmp_path)
