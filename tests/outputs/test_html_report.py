"""`report --format html`: one self-contained page, from real checks of the fixture site (or from
merged documents), rendered in a real Chromium: the summary, the table that sorts and filters, the
chart, and not one request beyond the file itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from checker.core.outcome import Outcome
from checker.fixture_site import Account, FixtureSite
from checker.outputs.html import STATUSES
from tests.conftest import Cli, add_account, check_args
from tests.outputs.test_report_merge import result_json, write_document

THREE = ("--setting", "generative_ai_training", "--setting", "ads_age", "--setting", "ads_gender")
OTHER = "locked@example.com"


@dataclass
class Fleet:
    page: Path
    days: int
    """How many UTC days the checks spanned (one, unless they ran across midnight)."""


@pytest.fixture
def fleet(cli: Cli, site: FixtureSite, member: Account, tmp_path: Path) -> Fleet:
    """Real checks of two accounts, reported as HTML by the real CLI: for the member, the AI
    setting fixed, ads_age still on, ads_gender switched off on LinkedIn's side (compliant); the
    other account's password is wrong (auth_failed)."""
    site.add_account(Account(email=OTHER, password="the right passphrase"))
    add_account(cli, OTHER, "a wrong passphrase")
    labelled = cli("accounts", "add", member.email, "--label", "Recruiter seat 1", "--password-stdin",
                   input=member.password + "\n")  # fmt: skip
    assert labelled.exit_code == 0, labelled.stderr
    runs = [
        cli.json(*check_args(site, member.email, *THREE)),  # all three on: non_compliant
        cli.json(*check_args(site, member.email, "--apply")),  # the AI one: fixed
    ]
    member.set_state("allowAdsByGender", False)
    runs.append(cli.json(*check_args(site, member.email, "--setting", "ads_gender")))  # compliant
    runs.append(cli.json(*check_args(site, OTHER)))  # auth_failed
    assert [code for code, _ in runs] == [1, 0, 0, 3]
    times = [date.fromisoformat(r["checked_at"][:10]) for _, doc in runs for r in doc["results"]]
    out = tmp_path / "fleet.html"
    result = cli("report", "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"wrote 4 rows to {out}\n"
    return Fleet(out, (max(times) - min(times)).days + 1)


@dataclass
class Opened:
    page: Page
    requests: list[str]
    problems: list[str]


@asynccontextmanager
async def opened(browser: Browser, path: Path, *, javascript: bool = True) -> AsyncIterator[Opened]:
    """The page in a fresh context, with every request it makes and every error it logs."""
    context = await browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1280, "height": 900}
    )
    try:
        page = await context.new_page()
        page.set_default_timeout(5_000)
        requests: list[str] = []
        problems: list[str] = []
        context.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        await page.goto(path.as_uri())
        yield Opened(page, requests, problems)
    finally:
        await context.close()


async def table(page: Page, *, visible_only: bool = False) -> list[list[str]]:
    cells: list[list[str]] = await page.evaluate(
        """(visibleOnly) => Array.from(document.querySelectorAll('#fleet tbody tr'))
            .filter((row) => !visibleOnly || !row.hidden)
            .map((row) => Array.from(row.cells).map((cell) => cell.innerText.trim()))""",
        visible_only,
    )
    return cells


async def headers(page: Page) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = await page.evaluate(
        """() => Array.from(document.querySelectorAll('#fleet thead th'))
            .map((th) => [th.innerText.trim(), th.getAttribute('aria-sort')])"""
    )
    return [(name, sort) for name, sort in found]


async def day_bars(page: Page) -> list[dict[str, Any]]:
    bars: list[dict[str, Any]] = await page.evaluate(
        """() => Array.from(document.querySelectorAll('#chart g.day')).map((g) => ({
            day: g.dataset.day, off: Number(g.dataset.off), on: Number(g.dataset.on),
            unknown: Number(g.dataset.unknown),
            rects: Array.from(g.querySelectorAll('rect')).map((r) => [r.getAttribute('class'),
                Number(r.getAttribute('height'))])}))"""
    )
    return bars


async def test_the_page_summarises_the_fleet_lists_each_pair_and_charts_it_without_a_single_request(
    browser: Browser, fleet: Fleet, tmp_path: Path
) -> None:
    async with opened(browser, fleet.page) as report:
        page = report.page
        assert (await page.title()).startswith("LinkedIn data-use settings: fleet report, 20")
        assert (await page.locator("h1").inner_text()) == "LinkedIn data-use settings: fleet report"
        assert (await page.locator("#generated").inner_text()).startswith("Generated 20")
        assert "every check: 6 checks, from " in await page.locator("#period").inner_text()
        partition = ("compliant", "still_on", "needs_person", "error", "not_offered")
        counts = {key: await page.locator(f"#count-{key} .count").inner_text() for key in partition}
        assert counts == {
            "compliant": "2",
            "still_on": "1",
            "needs_person": "1",
            "error": "0",
            "not_offered": "0",
        }
        assert sum(map(int, counts.values())) == 4  # the cards add up to the pairs
        assert await page.locator("#totals").inner_text() == (
            "2 accounts; 4 (account, setting) pairs, each counted once, by its latest check in the period:"
        )
        assert "compliant" in await page.locator("#count-compliant p").inner_text()  # says what it counts
        # Events, apart: the tool's fixes and LinkedIn's switching back, each labelled as such.
        assert await page.locator("#count-fixed .count").inner_text() == "1"
        assert await page.locator("#count-drift .count").inner_text() == "0"
        assert (await page.locator("#count-fixed p").inner_text()).startswith("Events, not pairs")
        boxes = await page.eval_on_selector_all(
            "td time", "times => times.map(t => t.getClientRects().length)"
        )
        assert boxes
        assert set(boxes) == {1}  # every date on one line
        assert [name for name, _ in await headers(page)] == [
            "account",
            "setting",
            "state",
            "outcome",
            "last checked (UTC)",
            "state since (UTC)",
            "drift events",
            "last error",
            "evidence",
        ]  # no host: the local history does not know it
        rows = await table(page)
        member = ["member@example.com", "Recruiter seat 1"]  # the email, and its label under it
        assert [(r[0].splitlines(), r[1].splitlines(), r[2], r[3]) for r in rows] == [
            ([OTHER], ["Generative-AI training", "generative_ai_training"], "unknown", "auth_failed"),
            (member, ["Ads by age range", "ads_age"], "on", "non_compliant"),
            (member, ["Ads by inferred gender", "ads_gender"], "off", "compliant"),
            (member, ["Generative-AI training", "generative_ai_training"], "off", "fixed"),
        ]
        assert rows[0][7].startswith("auth_failed: ")
        bars = await day_bars(page)
        assert len(bars) == fleet.days
        assert (bars[-1]["off"], bars[-1]["on"], bars[-1]["unknown"]) == (2, 1, 1)
        assert [kind for kind, _ in bars[-1]["rects"]] == ["off", "on", "unknown"]
        off, on, unknown = (height for _, height in bars[-1]["rects"])
        assert on > 0
        assert (off, unknown) == (pytest.approx(2 * on), pytest.approx(on))  # to scale
        chart = page.locator("#chart")
        assert await chart.get_attribute("role") == "img"
        assert "off, on, or unknown" in await page.locator("#chart-title").text_content()
        assert await page.locator("#chart .legend text").all_text_contents() == [
            "off or not offered",
            "on",
            "unknown or failing",
        ]
        assert await page.locator("#chart text", has_text="day (UTC)").count() == 1
        shot = tmp_path / "report.png"
        await page.screenshot(path=shot, full_page=True)
        assert shot.read_bytes().startswith(b"\x89PNG")
        assert shot.stat().st_size > 10_000
        assert report.requests == [fleet.page.as_uri()]
        assert report.problems == []


async def test_a_clicked_header_sorts_the_table_a_second_click_reverses_it_and_the_filters_hide_rows(
    browser: Browser, fleet: Fleet
) -> None:
    async with opened(browser, fleet.page) as report:
        page = report.page
        assert ("account", "ascending") in await headers(page)
        await page.get_by_role("button", name="outcome").click()
        assert [r[3] for r in await table(page)] == ["compliant", "fixed", "non_compliant", "auth_failed"]
        assert [name for name, sort in await headers(page) if sort] == ["outcome"]
        assert dict(await headers(page))["outcome"] == "ascending"
        await page.get_by_role("button", name="outcome").click()
        assert [r[3] for r in await table(page)] == ["auth_failed", "non_compliant", "fixed", "compliant"]
        assert dict(await headers(page))["outcome"] == "descending"
        await page.get_by_role("button", name="account").click()
        assert (await table(page))[0][0] == OTHER

        await page.get_by_label("Filter").fill("ads_")
        assert [r[1].splitlines()[1] for r in await table(page, visible_only=True)] == [
            "ads_age",
            "ads_gender",
        ]
        assert await page.locator("#shown").inner_text() == "2 of 4 shown"
        await page.get_by_label("Filter").fill("")
        await page.get_by_label("Status").select_option("needs_person")
        assert [r[0] for r in await table(page, visible_only=True)] == [OTHER]
        await page.get_by_label("Status").select_option("compliant")
        await page.get_by_label("Filter").fill("GENDER")
        assert [r[3] for r in await table(page, visible_only=True)] == ["compliant"]
        assert await page.locator("#fleet tbody tr:visible").count() == 1
        assert report.requests == [fleet.page.as_uri()]


async def test_without_javascript_the_table_is_all_there_sorted_by_account(
    browser: Browser, fleet: Fleet
) -> None:
    async with opened(browser, fleet.page, javascript=False) as report:
        page = report.page
        assert [
            (r[0].splitlines()[0], r[1].splitlines()[1]) for r in await table(page, visible_only=True)
        ] == [
            (OTHER, "generative_ai_training"),
            ("member@example.com", "ads_age"),
            ("member@example.com", "ads_gender"),
            ("member@example.com", "generative_ai_training"),
        ]
        assert dict(await headers(page))["account"] == "ascending"
        assert await page.locator("#controls").is_hidden()  # the filters need the script
        assert await page.locator("#count-still_on .count").inner_text() == "1"
        assert await page.locator("#chart g.day").count() == fleet.days


async def test_merged_documents_chart_each_day_carrying_a_pair_over_the_days_without_checks(
    cli: Cli, browser: Browser, tmp_path: Path
) -> None:
    collected = tmp_path / "collected"
    collected.mkdir()
    write_document(
        collected / "1.json",
        [
            result_json("ann@example.com", at="2026-11-01T09:00:00Z"),
            result_json(
                "bob@example.com", at="2026-11-01T10:00:00Z", state_before="off", outcome="compliant"
            ),
        ],
        host="ann-laptop",
    )
    write_document(
        collected / "2.json",
        [
            result_json(
                "ann@example.com",
                at="2026-11-03T09:00:00Z",
                state_after="off",
                action="switched_off",
                verified=True,
                outcome="fixed",
            ),
            result_json(
                "carol@example.com",
                at="2026-11-03T23:59:59Z",
                state_before="unknown",
                outcome="error",
                detail="timeout",
            ),
        ],
        host="carol-desktop",
    )
    out = tmp_path / "fleet.html"
    assert cli("report", "--format", "html", "--merge", str(collected), "-o", str(out)).exit_code == 0
    async with opened(browser, out) as report:
        page = report.page
        bars = await day_bars(page)
        assert [(b["day"], b["off"], b["on"], b["unknown"]) for b in bars] == [
            ("2026-11-01", 1, 1, 0),
            ("2026-11-02", 1, 1, 0),
            ("2026-11-03", 2, 0, 1),
        ]
        assert [len(b["rects"]) for b in bars] == [2, 2, 2]
        assert "3 days from 2026-11-01 to 2026-11-03" in await page.locator("#chart-desc").text_content()
        assert await page.locator("table.days tbody tr").count() == 3
        assert [name for name, _ in await headers(page)][:2] == ["account", "host"]
        assert [(r[0], r[1]) for r in await table(page)] == [
            ("ann@example.com", "carol-desktop"),
            ("bob@example.com", "ann-laptop"),
            ("carol@example.com", "carol-desktop"),
        ]
        assert "2 hosts" in await page.locator("#source").inner_text()
        assert report.requests == [out.as_uri()]


async def test_hostile_text_in_a_merged_file_stays_text_and_loads_nothing(
    cli: Cli, browser: Browser, site: FixtureSite, tmp_path: Path
) -> None:
    pixel = f"{site.base_url}/pixel"
    account = f'<img src="{pixel}" onerror="document.title=\'pwned\'">@example.com'
    detail = f"</script><script>document.title='pwned'</script><iframe src=\"{pixel}\"></iframe>"
    write_document(
        tmp_path / "evil.json",
        [result_json(account, outcome="error", detail=detail, evidence=f'"><img src="{pixel}">')],
        host=f"<svg onload=\"fetch('{pixel}')\">",
    )
    out = tmp_path / "fleet.html"
    assert (
        cli("report", "--format", "html", "--merge", str(tmp_path / "evil.json"), "-o", str(out)).exit_code
        == 0
    )
    async with opened(browser, out) as report:
        page = report.page
        [row] = await table(page)
        assert row[0] == account
        assert row[1] == f"<svg onload=\"fetch('{pixel}')\">"
        assert row[8].startswith(f"error: {detail[:1].upper()}{detail[1:]}")
        assert await page.locator("#fleet img, #fleet iframe, #fleet svg, #fleet script").count() == 0
        assert await page.locator("script").count() == 1  # the page's own
        assert "pwned" not in await page.title()
        assert report.requests == [out.as_uri()]
        assert report.problems == []
    assert site.received == []


async def test_the_content_security_policy_stops_a_script_or_an_image_that_an_escape_let_through(
    cli: Cli, browser: Browser, site: FixtureSite, tmp_path: Path
) -> None:
    write_document(tmp_path / "a.json", [result_json()])
    out = tmp_path / "fleet.html"
    assert (
        cli("report", "--format", "html", "--merge", str(tmp_path / "a.json"), "-o", str(out)).exit_code == 0
    )
    broken = out.read_text().replace(
        "</main>", f'<script>document.title = "ran"</script><img src="{site.base_url}/pixel"></main>'
    )
    out.write_text(broken)
    async with opened(browser, out) as report:
        page = report.page
        assert "ran" not in await page.title()
        assert await page.locator("#controls").is_visible()  # the page's own script did run
        assert any("Content Security Policy" in problem for problem in report.problems)
    assert site.received == []


def test_an_empty_history_is_a_page_that_says_there_were_no_checks(cli: Cli) -> None:
    result = cli("report", "--format", "html")
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert '<p id="no-checks">No checks in this period.</p>' in result.stdout
    assert '<p id="totals">No checks in this period: nothing to count.</p>' in result.stdout
    assert 'class="count"' not in result.stdout  # no card of zeros that would read as all well
    assert "Period: every check: none found." in result.stdout


def test_every_outcome_is_counted_under_exactly_one_status_of_the_summary() -> None:
    counted = [outcome for status in STATUSES for outcome in status.outcomes]
    assert sorted(counted) == sorted(Outcome)
