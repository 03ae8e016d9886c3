"""Staff accounts of the triage inbox: INBOX_STAFF holds `name:hash` pairs, comma-separated, each hash an Argon2id
hash (argon2-cffi) in base64url, so that neither make nor a shell reads the `$` signs of its usual form.

Make a pair for .env: `make staff-password` (or `python -m inbox.staff`).
"""

from __future__ import annotations

import base64
import binascii
import getpass
import re
import sys
from functools import cache
from typing import Dict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106's low-memory profile
NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@cache
def _unknown() -> str:
    """Checked when the name is unknown, so a wrong name takes as long as a wrong password."""
    return HASHER.hash("no account has this password")


def encode(password: str) -> str:
    return base64.urlsafe_b64encode(HASHER.hash(password).encode("ascii")).decode("ascii").rstrip("=")


def _decoded(value: str) -> str:
    decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
    if not decoded.startswith("$argon2"):
        raise ValueError("not an Argon2 hash")
    return decoded


def parse_accounts(value: str) -> Dict[str, str]:
    """{name: Argon2 hash} from INBOX_STAFF; ValueError names the entry that is wrong (never a hash)."""
    accounts = {}
    for number, entry in enumerate((e.strip() for e in value.split(",") if e.strip()), start=1):
        name, _, encoded = entry.partition(":")
        if not NAME.match(name) or not encoded:
            raise ValueError(f"INBOX_STAFF entry {number} is not name:hash (names: letters, digits, . _ -)")
        try:
            accounts[name] = _decoded(encoded)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            problem = f"INBOX_STAFF entry {number} ({name}): the hash is not what `make staff-password` prints"
            raise ValueError(problem) from None
    return accounts


def verify(accounts: Dict[str, str], name: str, password: str) -> bool:
    """Whether the password is that staff member's."""
    try:
        return HASHER.verify(accounts.get(name) or _unknown(), password) and name in accounts
    except (VerificationError, InvalidHashError):
        return False


def main() -> int:
    name = input("Staff member's sign-in name: ").strip()
    if not NAME.match(name):
        print("A name is 1 to 64 letters, digits, '.', '_' or '-'.", file=sys.stderr)
        return 2
    password = getpass.getpass("Password (12 characters or more): ")
    if len(password) < 12 or password != getpass.getpass("The same password again: "):
        print("The passwords differ or are shorter than 12 characters.", file=sys.stderr)
        return 2
    print(f"\nAdd this to INBOX_STAFF in .env (comma between accounts):\n{name}:{encode(password)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
