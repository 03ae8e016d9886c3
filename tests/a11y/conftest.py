"""The accessibility tests use the end-to-end servers (tests/e2e/conftest.py) and a real inbox process."""

from tests.e2e.conftest import bot, servers  # noqa: F401  (fixtures)
from tests.inbox.conftest import inbox_process  # noqa: F401  (fixture)
