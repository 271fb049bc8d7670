"""The deploy files say what the README promises: a slim non-root image with a health check, the
bot beside PostgreSQL with a volume, a systemd unit that restarts on failure in its directory."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_image_is_slim_unprivileged_and_checks_its_health():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim$", text, re.M)
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "HEALTHCHECK" in text and "/healthz" in text and "TW_HTTP_ADDR=" in text
    assert re.search(r'^CMD \["python", "bot.py", "run"\]$', text, re.M)


def test_compose_runs_the_bot_with_postgresql_and_a_volume():
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "image: postgres:15" in text and "pgdata:/var/lib/postgresql/data" in text
    assert re.search(r"DATABASE_URL: postgresql://\S+@postgres:5432/", text)
    assert "condition: service_healthy" in text and re.search(r"^volumes:\n  pgdata:", text, re.M)


def test_the_systemd_unit_restarts_on_failure_in_its_working_directory():
    text = (ROOT / "deploy" / "tradewatch.service").read_text(encoding="utf-8")
    for line in ("Restart=on-failure", "WorkingDirectory=/opt/tradewatch", "User=tradewatch",
                 "ExecStart=/opt/tradewatch/.venv/bin/python bot.py run"):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line


def test_the_readme_has_a_section_for_each():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for heading in ("### Docker", "### Docker Compose (bot + PostgreSQL)", "### systemd", "## PostgreSQL",
                    "## Webhook mode", "## Health and metrics"):
        assert f"\n{heading}\n" in readme, heading
