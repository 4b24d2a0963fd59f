"""The baseline job of `bench.notices`: nothing but RQ's own work around it. Kept in a
module of its own, importing nothing, so the worker loads nothing extra for it."""


def noop() -> None:
    pass
