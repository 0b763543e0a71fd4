"""Test doubles and synthetic accounts, shared by the tests, the demo builder and the benchmark.

Nothing here is used by a real scan. moto is imported lazily, only by the world builders.
"""
