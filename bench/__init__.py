"""TradeWatch's benchmarks of the hot paths: pipeline burst, storage, fan-out and fetch.

`python -m bench` (or `make bench`) runs them all and prints each figure beside its target;
`python -m bench.pipeline`, `bench.storage`, `bench.fanout`, `bench.fetch` run one alone. They
are not part of `make test`; tests/test_bench_smoke.py runs each at a tiny size to keep them working.
"""
