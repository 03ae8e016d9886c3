"""The report's end-to-end tests use the end-to-end servers (tests/e2e/conftest.py)."""

from tests.e2e.conftest import bot, servers  # noqa: F401  (fixtures)
