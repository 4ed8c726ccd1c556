"""The per-account lock: real lock files, a second task and a second process contending for them."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from checker.core.errors import ConfigError
from checker.store.accounts import AccountList
from checker.store.locks import AccountBusy, account_lock
from tests.conftest import ROOT


async def test_a_second_run_on_the_same_account_waits_then_is_told_the_account_is_busy(home: Path) -> None:
    async with account_lock(home, "a@example.com", wait_seconds=0):
        started = time.monotonic()
        with pytest.raises(AccountBusy, match=r"^another run is checking this account$") as caught:
            async with account_lock(home, "a@example.com", wait_seconds=0.3):
                pytest.fail("the second run got the lock while the first held it")
        assert time.monotonic() - started >= 0.3
    assert caught.value.email == "a@example.com"


async def test_the_lock_is_per_account_whatever_the_spelling(home: Path) -> None:
    async with account_lock(home, "a@example.com", wait_seconds=0):
        async with account_lock(home, "b@example.com", wait_seconds=0):
            pass  # another account is not blocked
        with pytest.raises(AccountBusy):
            async with account_lock(home, "A@Example.COM", wait_seconds=0):
                pass


async def test_a_waiting_run_gets_the_lock_when_the_holder_lets_go(home: Path) -> None:
    order: list[str] = []
    held, let_go = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with account_lock(home, "a@example.com", wait_seconds=0):
            order.append("first holds")
            held.set()
            await let_go.wait()
            order.append("first lets go")

    async def second() -> None:
        async with account_lock(home, "a@example.com", wait_seconds=5):
            order.append("second holds")

    holder = asyncio.create_task(first())
    await held.wait()
    waiter = asyncio.create_task(second())  # its first try runs before the holder wakes up
    let_go.set()
    await asyncio.gather(holder, waiter)
    assert order == ["first holds", "first lets go", "second holds"]


async def test_the_lock_is_released_on_exit_and_on_an_exception(home: Path) -> None:
    async with account_lock(home, "a@example.com", wait_seconds=0):
        pass
    with pytest.raises(RuntimeError, match="boom"):
        async with account_lock(home, "a@example.com", wait_seconds=0):
            raise RuntimeError("boom")
    async with account_lock(home, "a@example.com", wait_seconds=0):
        pass


async def test_a_run_cancelled_while_waiting_releases_nothing_and_propagates(home: Path) -> None:
    async with account_lock(home, "a@example.com", wait_seconds=0):

        async def wait_for_lock() -> None:
            async with account_lock(home, "a@example.com", wait_seconds=30):
                pytest.fail("the waiting run got the lock while the first held it")

        waiter = asyncio.create_task(wait_for_lock())
        await asyncio.sleep(0)  # one turn of the loop: the waiter tries the lock and starts polling
        assert not waiter.done()
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        with pytest.raises(AccountBusy):  # the holder still holds it
            async with account_lock(home, "a@example.com", wait_seconds=0):
                pass
    async with account_lock(home, "a@example.com", wait_seconds=0):
        pass


TRY_LOCK = """
import asyncio, sys, time
from pathlib import Path
from checker.store.locks import AccountBusy, account_lock

async def main() -> None:
    wait = float(sys.argv[3])
    started = time.monotonic()
    try:
        async with account_lock(Path(sys.argv[1]), sys.argv[2], wait_seconds=wait):
            print("acquired")
    except AccountBusy as exc:
        waited = "at least" if time.monotonic() - started >= wait else "less than"
        print(f"busy after {waited} {wait}s: {exc}")

asyncio.run(main())
"""


async def try_lock_in_another_process(home: Path, email: str, wait_seconds: float) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        TRY_LOCK,
        str(home),
        email,
        str(wait_seconds),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    return stdout.decode().strip()


async def test_another_process_waits_for_a_held_account_then_is_told_it_is_busy(home: Path) -> None:
    async with account_lock(home, "a@example.com", wait_seconds=0):
        assert await try_lock_in_another_process(home, "a@example.com", 0.5) == (
            "busy after at least 0.5s: another run is checking this account"
        )
        assert await try_lock_in_another_process(home, "b@example.com", 0) == "acquired"
    assert await try_lock_in_another_process(home, "a@example.com", 0) == "acquired"


@pytest.mark.usefixtures("no_umask")
async def test_lock_files_are_private_and_do_not_show_the_email_even_under_umask_0(home: Path) -> None:
    async with account_lock(home, "a@example.com", wait_seconds=0):
        pass
    AccountList.in_home(home).add("a@example.com")
    (lock_file,) = (home / "locks").iterdir()
    assert "example" not in lock_file.name
    assert stat.S_IMODE((home / "locks").stat().st_mode) == 0o700
    assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "accounts.json.lock").stat().st_mode) == 0o600


async def test_a_linked_lock_file_or_lock_directory_is_refused_and_its_target_untouched(
    home: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    target.write_text("keep me")
    os.chmod(target, 0o644)
    async with account_lock(home, "a@example.com", wait_seconds=0):
        pass
    (lock_file,) = (home / "locks").iterdir()
    lock_file.unlink()
    lock_file.symlink_to(target)
    with pytest.raises(ConfigError, match=f"^{lock_file} is a symbolic link: "):
        async with account_lock(home, "a@example.com", wait_seconds=0):
            pass
    (home / "locks").rename(tmp_path / "real-locks")
    (home / "locks").symlink_to(tmp_path / "real-locks", target_is_directory=True)
    with pytest.raises(ConfigError, match=f"^{home / 'locks'} is a symbolic link: "):
        async with account_lock(home, "b@example.com", wait_seconds=0):
            pass
    assert (target.read_text(), stat.S_IMODE(target.stat().st_mode)) == ("keep me", 0o644)
    assert [p.name for p in (tmp_path / "real-locks").iterdir()] == [lock_file.name]
