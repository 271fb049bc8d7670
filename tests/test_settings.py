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
