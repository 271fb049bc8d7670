"""Federal Register metadata in classification: the CFR parts a document amends and its subject
topics decide a topic whatever its title says; routine notices stay routine. Read from a fixture
answer with the extra fields (tests/fixtures/federal_register/metadata-fields.json)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from storage.codec import decode, encode
from tradewatch.ingest.parsers.federal_register import parse
from tradewatch.models import UTC, Event, FetchResult, Source
from tradewatch.understand import metadata
from tradewatch.understand.absorb import absorb
from tradewatch.understand.classify import classify
from tradewatch.understand.dedupe import EventIndex

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "federal_register" / "metadata-fields.json"
BIS = Source(id="fr-bis", name="Federal Register: Bureau of Industry and Security", kind="federal_register",
             url="https://www.federalregister.gov/api/v1/documents.json", authority="official", country="US")
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def items():
    result = FetchResult(url=BIS.url, status=200, body=FIXTURE.read_bytes(), content_type="application/json")
    return {item.key: item for item in parse(result, BIS)}


def verdict(item):
    return classify(item.title, item.summary, "en", "official", item.extra, BIS.name)


def test_an_amendment_to_the_export_regulations_is_an_export_control_whatever_its_title():
    rule = items()["2026-30101"]
    assert not classify(rule.title, "", "en", "official").relevant          # the title alone says nothing
    result = verdict(rule)
    assert result.topics == ("export_control",)
    assert "fr-cfr:export-administration-regulations" in result.reasons


def test_a_proposed_rule_on_the_control_list_counts_and_outweighs_soft_words():
    result = verdict(items()["2026-30102"])
    assert result.topics == ("export_control",) and "fr-topic:exports" in result.reasons


def test_an_information_collection_notice_is_routine():
    result = verdict(items()["2026-30103"])
    assert not result.relevant and {"veto-routine-action", "veto-routine"} & set(result.reasons)


def test_section_232_procedures_are_a_tariff_and_bad_fields_are_ignored():
    result = verdict(items()["2026-30104"])
    assert result.topics == ("tariff",) and "fr-cfr:section-232-inclusions" in result.reasons


def test_metadata_decides_only_for_rules_and_presidential_documents():
    notice = {"type": "Notice", "cfr_references": ["15 CFR 744"], "topics": ["Exports"]}
    assert metadata.topics_of(notice) == ((), [])
    assert metadata.topics_of({"type": "Rule", "cfr_references": ["19 CFR 12"]}) == ((), [])
    assert metadata.topics_of(None) == ((), [])


def test_the_event_keeps_the_effective_and_comment_dates():
    outcome = absorb(items()["2026-30101"], BIS, EventIndex(), NOW)
    assert outcome.event.effective_on == "2026-11-20" and outcome.event.comments_close_on == "2027-01-19"
    again = decode(Event, encode(outcome.event))
    assert again.comments_close_on == "2027-01-19"


def test_an_event_stored_before_the_comment_date_existed_still_decodes():
    old = {"id": "ev-1", "title": "Additions to the Entity List", "url": "https://fr.example/1", "source_id": "fr-bis",
           "source_name": "Federal Register", "authority": "official", "lang": "en", "topics": ["export_control"],
           "first_seen_at": "2025-06-01T12:00:00+00:00", "effective_on": "2025-06-02"}
    event = decode(Event, old)
    assert event.comments_close_on is None and event.effective_on == "2025-06-02"
