"""Splitting a fleet over machines with no coordinator: `--shard K/N` checks only the accounts whose
stable hash falls in shard K (1 to N) of N, so N runs, each with its own K, check every account
exactly once. K counts from 1, as Playwright's `--shard=1/3`, Jest's and GNU split's do. In a
Kubernetes Indexed Job, `--shards N` takes K from `JOB_COMPLETION_INDEX`, which counts from 0:
K = index + 1.

The hash is SHA-256 of the email as LinkedIn compares it (any letter case): the same on every
machine, every Python and every run, unlike Python's own `hash()`.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

from checker.core.errors import UsageError
from checker.store.emails import email_key

INDEX_ENV = "JOB_COMPLETION_INDEX"
"""Set by Kubernetes in each pod of an Indexed Job: 0, 1, ... completions - 1."""
MAX_SHARDS = 100_000
"""Kubernetes' own limit on an Indexed Job's completions; far more shards than any fleet has accounts."""

# ASCII digits only: str.isdigit() and \d also take characters int() refuses (²) or reads (٣).
_SHARD = re.compile(r"^([0-9]+)/([0-9]+)$")
_NUMBER = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class Shard:
    """Shard `number` (1 to `count`) of `count`."""

    number: int
    count: int

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"

    def holds(self, email: str) -> bool:
        """Whether the account `email` is this shard's to check."""
        return shard_of(email, self.count) == self.number


def shard_of(email: str, count: int) -> int:
    """The shard (1 to count) the account `email` falls in."""
    digest = hashlib.sha256(email_key(email).encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def chosen_shard(shard: str | None, shards: int | None) -> Shard | None:
    """The shard a run is asked for: `--shard K/N`, or `--shards N` with K from JOB_COMPLETION_INDEX;
    None for the whole fleet. UsageError naming the value otherwise."""
    if shard is not None and shards is not None:
        raise UsageError("--shard and --shards: give one, not both")
    if shard is not None:
        match = _SHARD.match(shard.strip())
        if match is None:
            raise UsageError(f"--shard: expected K/N with K from 1 to N, such as 1/3, not {shard!r}")
        return _valid(_whole(match.group(1), "--shard"), _whole(match.group(2), "--shard"), "--shard")
    if shards is None:
        return None
    index = os.environ.get(INDEX_ENV)
    if index is None:
        raise UsageError(f"--shards needs ${INDEX_ENV} (set in a Kubernetes Indexed Job); or use --shard K/N")
    if not _NUMBER.match(index.strip()):
        raise UsageError(f"${INDEX_ENV}: expected a number from 0, not {index!r}")
    # Kubernetes counts its pods from 0: pod 0 checks shard 1.
    return _valid(_whole(index.strip(), f"${INDEX_ENV}") + 1, shards, f"${INDEX_ENV} with --shards")


def _whole(digits: str, what: str) -> int:
    # Python refuses to convert more than 4300 digits (ValueError); no shard needs more than six.
    if len(digits.lstrip("0")) > len(str(MAX_SHARDS)):
        raise UsageError(f"{what}: {digits[:12]}...: larger than any shard ({MAX_SHARDS} shards at most)")
    return int(digits)


def _valid(number: int, count: int, what: str) -> Shard:
    if count < 1:
        raise UsageError(f"{what}: the number of shards must be 1 or more, not {count}")
    if count > MAX_SHARDS:
        raise UsageError(f"{what}: the number of shards must be at most {MAX_SHARDS}, not {count}")
    if not 1 <= number <= count:
        raise UsageError(
            f"{what}: shard {number} does not exist in {count} shards: they count from 1 to {count}"
            + (f" (${INDEX_ENV} {number - 1} is shard {number})" if what.startswith("$") else "")
        )
    return Shard(number, count)
