"""Time-ordered 24-hex identifiers in the shape of MongoDB ObjectIds.

Layout: 4 bytes of Unix seconds, 5 random bytes fixed per process, 3 bytes of a
counter seeded randomly. Sorting ids sorts by creation second, which keeps
B-tree inserts append-mostly on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import threading
import time

_PROCESS_RANDOM = secrets.token_bytes(5)
_counter = itertools.count(secrets.randbelow(0xFFFFFF))
_lock = threading.Lock()
_PID = os.getpid()

OBJECT_ID_PATTERN = re.compile(r"^[0-9a-f]{24}$")


def new_object_id() -> str:
    global _PROCESS_RANDOM, _PID
    if os.getpid() != _PID:  # a forked worker must not share the parent's random part
        _PID = os.getpid()
        _PROCESS_RANDOM = secrets.token_bytes(5)
    with _lock:
        count = next(_counter) & 0xFFFFFF
    return (int(time.time()).to_bytes(4, "big") + _PROCESS_RANDOM + count.to_bytes(3, "big")).hex()


def is_object_id(value: str) -> bool:
    return bool(OBJECT_ID_PATTERN.match(value))
