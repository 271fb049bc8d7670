"""Settings: defaults, overrides, clear errors, and .env.example / README kept in step."""
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tradewatch.errors import ConfigError
from tradewatch.settings import SETTINGS, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_match_the_declared_table():
    settings = load_settings({}, env_file=None)
    assert settings == Settings()
    assert settings.console_mode


def test_environment_overrides_dotenv(tmp_path):
    env = tmp_path / ".env"
    env.write_text("DATA_DIR=/from/dotenv\nLOG_LEVEL=debug\n")
    settings = load_settings({"DATA_DIR": "/from/env"}, env_file=env)
    assert settings.data_dir == Path("/from/env")
    assert settings.log_level == "DEBUG"


def test_admin_ids_are_parsed():
    assert load_settings({"ADMIN_IDS": " 12, 34 "}, env_file=None).admin_ids == {12, 34}


@pytest.mark.parametrize("name, value, fragment", [
    ("HTTP_TIMEOUT", "soon", "must be a number"),
    ("HTTP_TIMEOUT", "-1", "greater than 0"),
    ("LOG_LEVEL", "LOUD", "must be one of"),
    ("ADMIN_IDS", "12,alice", "'alice'"),
    ("TELEGRAM_API_URL", "api.telegram.org", "http(s) URL"),
    ("TELEGRAM_CHANNEL", "mychannel", "@channelname"),
    ("TELEGRAM_BOT_TOKEN", "not a token", "bot token"),
])
def test_bad_values_name_the_setting(name, value, fragment):
    with pytest.raises(ConfigError) as err:
        load_settings({name: value}, env_file=None)
    assert name in str(err.value) and fragment in str(err.value)


def test_env_example_documents_every_setting_with_its_default():
    documented = dotenv_values(ROOT / ".env.example")
    assert set(documented) == {s.name for s in SETTINGS}
    for spec in SETTINGS:
        assert documented[spec.name] == spec.default, spec.name


def test_readme_mentions_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert not missing


def test_replay_and_the_service_use_the_same_default_dedupe_window():
    from datetime import timedelta

    from tradewatch.understand.dedupe import DEFAULT_WINDOW
    assert DEFAULT_WINDOW == timedelta(days=Settings().dedupe_window_days)


@pytest.mark.parametrize("name, value, fragment", [
    ("HTTP_TIMEOUT", "nan", "must be a number"),
    ("HTTP_TIMEOUT", "inf", "must be a number"),
    ("DEDUPE_WINDOW_DAYS", "1e9", "at most 365"),
    ("RETENTION_DAYS", "inf", "must be a number"),
    ("BACKOFF_MAX_MINUTES", "1e9", "at most"),
    ("TW_EDIT_HOURS", "nan", "must be a number"),
    ("HTTP_MAX_BYTES", "8e6", "must be a whole number"),
    ("HTTP_MAX_BYTES", "1e9", "must be a whole number"),
    ("HTTP_MAX_BYTES", "99999999999999", "at most"),
    ("HTTP_PER_HOST", "2.5", "must be a whole number"),
    ("TW_POLL_TIMEOUT", "0.5", "must be a whole number"),
    ("TW_HEARTBEAT_MINUTES", "0", "greater than 0"),
])
def test_numbers_must_be_finite_in_range_and_whole_where_counted(name, value, fragment):
    """Issue 9 #9 and #11: nan, inf and 1e9 crashed later with a traceback; 8e6 said 'must be a
    number'; TW_POLL_TIMEOUT=0.5 silently became 0."""
    with pytest.raises(ConfigError) as err:
        load_settings({name: value}, env_file=None)
    assert name in str(err.value) and fragment in str(err.value)


def test_heartbeat_and_poll_timeout_are_read():
    settings = load_settings({"TW_HEARTBEAT_MINUTES": "0.5", "TW_POLL_TIMEOUT": "3"}, env_file=None)
    assert settings.tw_heartbeat_minutes == 0.5 and settings.tw_poll_timeout == 3


@pytest.mark.parametrize("text, line", [
    ("DATA_DIR=/data\nthis is not a setting\n", 2),
    ('HTTP_USER_AGENT="unterminated\n', 1),
    ("=5\n", 1),
])
def test_a_dotenv_line_that_cannot_be_parsed_stops_start_up_naming_it(tmp_path, text, line):
    env = tmp_path / ".env"
    env.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings({}, env_file=env)
    assert f"{env}, line {line}: cannot be parsed" in str(err.value)


def test_an_unreadable_dotenv_is_named(tmp_path):
    (tmp_path / ".env").mkdir()
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings({}, env_file=tmp_path / ".env")


def test_unknown_keys_that_look_like_settings_are_warned_about_with_the_closest_name(tmp_path):
    """Issue 9 #9: TELEGRAM_TOKEN= silently meant console mode."""
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_TOKEN=123:abc\nDATA_DIRS=/x\nLOG_LEVEL=INFO\n")
    warnings: list[str] = []
    settings = load_settings({"TW_EDIT_HOUR": "3", "PATH": "/bin", "HOME": "/root", "TW_POLL_TIMEOUT": "5"},
                             env_file=env, warn=warnings.append)
    assert settings.console_mode
    assert warnings == [
        f"{env}: DATA_DIRS is not a TradeWatch setting and is ignored (did you mean DATA_DIR?)",
        f"{env}: TELEGRAM_TOKEN is not a TradeWatch setting and is ignored (did you mean TELEGRAM_BOT_TOKEN?)",
        "the environment: TW_EDIT_HOUR is not a TradeWatch setting and is ignored (did you mean TW_EDIT_HOURS?)",
    ]


def test_a_bad_token_is_not_echoed_in_full():
    token = "123456:secret part that is wrong"
    with pytest.raises(ConfigError) as err:
        load_settings({"TELEGRAM_BOT_TOKEN": token}, env_file=None)
    message = str(err.value)
    assert "TELEGRAM_BOT_TOKEN" in message and "bot token" in message
    assert "secret part" not in message and f"{len(token)} characters" in message
