"""Benchmarks at national volume (``make bench``): never part of the test suite.

``python -m bench`` creates its own database beside the one in ``DATABASE_URL`` (the dev data is
never touched), loads a million companies and times the company search. See ``__main__``.
"""
