"""Webhook mode and the health/metrics endpoints, end to end: `python bot.py run` as a subprocess
against the fake Bot API (tests/test_e2e.py's harness). setWebhook at start-up with the secret, a
request without it refused with 403, /start with it answered; /healthz and /metrics; and back to
polling deletes the webhook."""
from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

from bot import webhook_secret
from tests.test_e2e import cwd_without_env, fake, running, service_env, wait_fake, wait_until  # noqa: F401 (fixture)
from tradewatch.settings import Settings

CHAT = 5001
QUIET = [{"id": "quiet", "name": "Quiet feed", "kind": "rss", "url": "http://127.0.0.1:9/feed", "every": "1h"}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_update(update_id: int, chat_id: int = CHAT) -> bytes:
    user = {"id": chat_id, "is_bot": False, "first_name": "Tester"}
    message = {"message_id": update_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private",
               "first_name": "Tester"}, "from": user, "text": "/start",
               "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}
    return json.dumps({"update_id": update_id, "message": message}).encode()


def post(url: str, body: bytes, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_webhook_mode_checks_the_secret_and_answers_start_then_polling_deletes_the_webhook(fake, tmp_path):
    hook_port, http_port = free_port(), free_port()
    hook = f"http://127.0.0.1:{hook_port}/tg/hook"
    env = service_env(tmp_path, fake, QUIET, TELEGRAM_WEBHOOK_URL=hook, TW_LISTEN=f"127.0.0.1:{hook_port}",
                      TW_HTTP_ADDR=f"127.0.0.1:{http_port}")
    secret = webhook_secret(Settings(telegram_bot_token=fake.token))
    fake.add_chat(CHAT)
    with running(env, cwd_without_env(tmp_path)) as service:
        wait_fake(fake, lambda: bool(fake.webhook) or service.proc.poll() is not None, 30, "setWebhook at start-up")
        assert service.proc.poll() is None, service.output()
        assert fake.webhook == {"url": hook, "secret_token": secret}
        wait_until(lambda: listening(hook_port) and listening(http_port), 30, "the webhook and health servers")
        assert post(hook, start_update(1), secret=None) == 403
        assert post(hook, start_update(2), secret="not-the-secret") == 403
        assert fake.sent(CHAT) == []
        assert post(hook, start_update(3), secret=secret) == 200
        wait_fake(fake, lambda: bool(fake.sent(CHAT)), 15, "the answer to /start")
        assert fake.calls["getUpdates"] == 0
        wait_until(lambda: get(f"http://127.0.0.1:{http_port}/healthz") == (200, "ok\n"), 15, "/healthz ok")
        status, text = get(f"http://127.0.0.1:{http_port}/metrics")
        assert status == 200 and "tradewatch_alerts_sent_total" in text and "tradewatch_deliveries_pending" in text
        assert get(f"http://127.0.0.1:{http_port}/nothing")[0] == 404
        assert service.stop() == 130
    polling = service_env(tmp_path, fake, QUIET)
    with running(polling, cwd_without_env(tmp_path)) as service:
        wait_fake(fake, lambda: not fake.webhook and fake.calls["getUpdates"] > 0, 30, "deleteWebhook, then polling")
        assert fake.calls["deleteWebhook"] >= 1
        service.stop()
