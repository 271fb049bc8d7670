"""The bot's transports and proxies: TELEGRAM_PROXY, or HTTP(S)_PROXY from the environment, for
every Bot API call (getMe, sendMessage, getUpdates), through a forward proxy on 127.0.0.1."""
from __future__ import annotations

import asyncio

import pytest
import telegram

from tests.deliver.test_outbox import bounded, fake  # noqa: F401
from tests.proxy import ForwardProxy
from tradewatch.deliver.transport import FORM_HEADERS, FanoutRequest, PollingRequest, Route, environment_route

BOT_BASIC = "Basic Ym90OnMzY3JldA=="          # bot:s3cret
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def proxy(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with ForwardProxy() as server:
        yield server


async def talk(fake, request, polling) -> None:
    fake.add_chat(11)
    async with telegram.Bot(fake.token, base_url=fake.base_url, request=request,
                            get_updates_request=polling) as bot:
        assert (await bounded(bot.get_me())).username == fake.username
        assert (await bounded(bot.send_message(11, "through the proxy"))).text == "through the proxy"
        assert await bounded(bot.get_updates(timeout=0)) == ()


async def test_telegram_proxy_carries_every_bot_api_call(fake, proxy):
    await talk(fake, FanoutRequest(proxy=proxy.url), PollingRequest(proxy=proxy.url))
    assert {"getMe", "sendMessage", "getUpdates"} <= proxy.methods()
    assert len(fake.sent(11)) == 1


async def test_the_environment_proxy_is_honoured_by_the_aiohttp_transport_too(fake, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    await talk(fake, FanoutRequest(), PollingRequest())
    assert {"getMe", "sendMessage", "getUpdates"} <= proxy.methods()


async def test_without_a_proxy_nothing_goes_through_one(fake, proxy):
    await talk(fake, FanoutRequest(), PollingRequest())
    assert proxy.methods() == set()


async def test_an_html_page_instead_of_json_is_one_network_error_line(fake, caplog):
    fake.answer_raw_next("getMe", "<html><h1>It works!</h1></html>", status=200)    # a web site, not the API
    with pytest.raises(telegram.error.NetworkError, match="HTTP 200 with text/html"):
        async with telegram.Bot(fake.token, base_url=fake.base_url, request=FanoutRequest()):
            pass
    async with telegram.Bot(fake.token, base_url=fake.base_url, request=FanoutRequest()) as bot:
        fake.answer_raw_next("getMe", "<html>" + "x" * 5000 + "</html>", status=502)
        with pytest.raises(telegram.error.NetworkError) as caught:
            await bounded(bot.get_me())
        fake.answer_raw_next("getMe", '{"ok": true, "result": {"id": 1,', status=200, content_type="application/json")
        with pytest.raises(telegram.error.NetworkError, match="not valid JSON"):
            await bounded(bot.get_me())
    assert "HTTP 502 with text/html" in caught.value.message and "TELEGRAM_API_URL" in caught.value.message
    assert "xxxx" not in caught.value.message and "xxxx" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


async def test_polling_answers_that_are_not_json_are_one_network_error_line_too(fake):
    fake.answer_raw_next("getUpdates", "<html><body>502 Bad Gateway</body></html>", status=502)
    async with telegram.Bot(fake.token, base_url=fake.base_url, get_updates_request=PollingRequest()) as bot:
        with pytest.raises(telegram.error.NetworkError, match="HTTP 502 with HTML") as caught:
            await bounded(bot.get_updates(timeout=0))
    assert "<html>" not in caught.value.message


async def test_no_proxy_exempts_the_bot_api_host_from_the_environment_proxy(fake, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    await talk(fake, FanoutRequest(), PollingRequest())
    assert proxy.methods() == set()


def test_the_environment_route_carries_proxy_and_netrc_credentials(monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.example.org login bot password s3cret\n"
                     "machine proxy.example.org login me password pw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    assert environment_route("https://api.example.org") == Route(None, {**FORM_HEADERS, "Authorization": BOT_BASIC})
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    route = environment_route("https://api.example.org")
    assert str(route.proxy) == "http://me:pw@proxy.example.org:3128"
    monkeypatch.setenv("NO_PROXY", "api.example.org")
    assert environment_route("https://api.example.org").proxy is None


async def test_sending_makes_no_worker_thread_hop_per_request(fake, monkeypatch):
    # aiohttp's trust_env looked up netrc and the proxy in a worker thread on every request, two
    # hops costing ~0.3 ms of CPU a message at fan-out rates: the environment is read once per origin.
    fake.add_chat(11)
    hops = []
    loop = asyncio.get_running_loop()
    real = loop.run_in_executor
    monkeypatch.setattr(loop, "run_in_executor", lambda *args: hops.append(args[1]) or real(*args))
    async with telegram.Bot(fake.token, base_url=fake.base_url, request=FanoutRequest()) as bot:
        for number in range(10):
            await bounded(bot.send_message(11, f"message {number}"))
    assert len(fake.sent(11)) == 10
    assert len(hops) <= 2          # the route of the Bot API's origin, once (getMe and the sends share it)
