"""TradeWatch: tariff and export-control alerts from official sources and news, on Telegram."""

__version__ = "0.1.0"
