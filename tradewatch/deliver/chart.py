"""/chart: events per week by topic, with the most active actors, as a PNG drawn by matplotlib.

`tally(events, now, days)` counts (pure); `draw(tally)` renders with the Agg backend (no display,
thread-safe enough when one figure is made per call through the object API, never pyplot), meant
to run in a worker thread (`asyncio.to_thread`) so the bot keeps answering meanwhile.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from tradewatch.models import TOPICS, UTC, Event

TOPIC_LABELS = {"tariff": "Tariffs", "export_control": "Export controls"}
TOP_ACTORS = 8


@dataclass(frozen=True)
class Tally:
    days: int
    weeks: tuple[date, ...]                      # Mondays, oldest first
    per_topic: dict[str, tuple[int, ...]]        # topic → events per week
    actors: tuple[tuple[str, int], ...]          # the most active acting countries
    total: int = 0                               # events drawn

    @property
    def empty(self) -> bool:
        return not any(sum(counts) for counts in self.per_topic.values())


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def tally(events: Iterable[Event], now: datetime, days: int) -> Tally:
    """Events whose `when` falls in the last `days` days, counted per week and topic."""
    since = now - timedelta(days=days)
    first, last = _monday(since.astimezone(UTC).date()), _monday(now.astimezone(UTC).date())
    weeks = tuple(first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1))
    index = {week: n for n, week in enumerate(weeks)}
    counts = {topic: [0] * len(weeks) for topic in TOPICS}
    actors: Counter[str] = Counter()
    total = 0
    for event in events:
        if not since <= event.when <= now:
            continue
        week = index.get(_monday(event.when.astimezone(UTC).date()))
        if week is None:
            continue
        total += 1
        for topic in event.topics:
            if topic in counts:
                counts[topic][week] += 1
        actors.update(set(event.actors or event.countries))
    return Tally(days, weeks, {t: tuple(c) for t, c in counts.items()}, tuple(actors.most_common(TOP_ACTORS)), total)


def draw(data: Tally) -> bytes:
    """The chart as PNG bytes."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(9, 5.5), dpi=100, layout="constrained")
    weekly, top = figure.subplots(1, 2, width_ratios=(3, 1))
    x = list(range(len(data.weeks)))
    bottom = [0] * len(x)
    for topic, counts in data.per_topic.items():
        weekly.bar(x, counts, bottom=bottom, label=TOPIC_LABELS.get(topic, topic))
        bottom = [b + c for b, c in zip(bottom, counts)]
    step = max(1, len(x) // 8)
    weekly.set_xticks(x[::step], [w.strftime("%d %b") for w in data.weeks[::step]], rotation=45)
    weekly.set_title(f"Events per week, last {data.days} days")
    weekly.set_ylabel("events")
    weekly.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.xaxis.set_major_locator(MaxNLocator(integer=True))
    weekly.legend(loc="upper left")
    names = [name for name, _ in data.actors][::-1]
    top.barh(names, [n for _, n in data.actors][::-1], color="grey")
    top.set_title("Top actors")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")      # its Software chunk names matplotlib
    return buffer.getvalue()
