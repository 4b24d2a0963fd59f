"""Benchmarks: the API under gunicorn on PostgreSQL against a same-run baseline.

`make bench` (`python -m bench.run`) is the entry point; scenarios are declared in
`bench.scenarios`. See `bench/README.md`.
"""
