"""A run of every setting reads what the category pages list and notices what LinkedIn adds or
drops (checker/linkedin/listings.py, checker/store/listings.py): reported once, in the run that
first sees it, kept in the history, never read, clicked or saved."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import Result

from checker.fixture_site import Account, FixtureSite
from checker.fixture_site.catalog import LATER
from checker.linkedin.rules import load_catalog
from tests.conftest import Cli, Receiver, add_account, check_args

ADDED = {
    "category": "privacy",
    "change": "added",
    "label": "Data sharing with Microsoft for AI",
    "path": "/mypreferences/d/settings/data-sharing-with-microsoft-for-ai",
}
AI_PAGE = "/mypreferences/d/settings/data-for-ai-improvement"
SENTENCE = (
    "LinkedIn added a setting to Data privacy: Data sharing with Microsoft for AI "
    "(/mypreferences/d/settings/data-sharing-with-microsoft-for-ai)"
)


def every_setting(cli: Cli, site: FixtureSite, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    return cli.json(*check_args(site, "--setting", "all", *extra))


def test_a_setting_linkedin_adds_is_reported_once_by_the_run_that_first_sees_it_and_never_touched(
    cli: Cli, site: FixtureSite, member: Account, receiver: Receiver, tmp_path: Path
) -> None:
    code, first = every_setting(cli, site, "--apply")  # the first run only learns
    assert (code, first["site_changes"]) == (0, [])
    site.new_setting = True  # LinkedIn adds a data use to Data privacy
    metrics = tmp_path / "run.prom"
    code, second = every_setting(cli, site, "--notify", receiver.url, "--metrics-file", str(metrics))
    assert second["site_changes"] == [ADDED]
    # The exit code is the known settings': all off, so 0.
    assert (code, {r["outcome"] for r in second["results"]}) == (0, {"compliant"})
    assert len(second["results"]) == 12  # the unknown setting has no result
    [message] = receiver.messages
    assert message["title"] == "LinkedIn AI opt-out: LinkedIn changed its data-use settings"
    assert SENTENCE in message["message"]
    assert 'linkedin_ai_optout_site_changes{category="privacy",change="added"} 1.0' in metrics.read_text()
    code, third = every_setting(cli, site, "--notify", receiver.url, "--metrics-file", str(metrics))
    assert (code, third["site_changes"]) == (0, [])
    assert len(receiver.messages) == 1
    assert 'linkedin_ai_optout_site_changes{category="privacy",change="added"} 0.0' in metrics.read_text()
    # Only reported: its page was never opened, its switch never saved.
    assert not any(r.path == LATER.path for r in site.received)
    assert not any(change.key == LATER.key for change in site.setting_changes)
    assert member.state(LATER.key) is True


def test_the_table_says_the_change_after_the_results_even_when_quiet(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.ai_training = False
    member.settings = dict.fromkeys(member.settings, False)
    every_setting(cli, site)
    site.new_setting = True
    result = cli(*check_args(site, "--setting", "all", "--quiet"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == SENTENCE  # all else is well: quiet says only this


def test_a_setting_of_the_catalog_its_page_no_longer_lists_is_removed_once(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    every_setting(cli, site)
    member.unavailable = frozenset({"allowAdsByAge"})  # LinkedIn drops a setting in this region
    _, second = every_setting(cli, site)
    assert second["site_changes"] == [
        {
            "category": "ads",
            "change": "removed",
            "label": "Age range",
            "path": "/mypreferences/d/settings/ads-by-age",
        }
    ]
    [age] = [r for r in second["results"] if r["setting"] == "ads_age"]
    assert age["outcome"] == "not_applicable"
    _, third = every_setting(cli, site)
    assert third["site_changes"] == []


def test_a_run_of_some_settings_reads_no_category_page_and_says_no_change(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.new_setting = True
    code, document = cli.json(*check_args(site, "--setting", "generative_ai_training"))
    assert (code, document["site_changes"]) == (1, [])
    assert not any(r.path.startswith("/mypreferences/d/categories/") for r in site.received)


def test_the_history_keeps_the_change_and_report_lists_it_for_its_period(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    every_setting(cli, site)
    site.new_setting = True
    every_setting(cli, site)
    report = cli("report", "--format", "json")
    assert report.exit_code == 0, report.stderr
    [change] = json.loads(report.stdout)["site_changes"]
    assert {key: change[key] for key in ADDED} == ADDED
    assert change["account"] == member.email
    assert cli("report", "--format", "json", "--since", "2999-01-01").exit_code == 0
    later = json.loads(cli("report", "--format", "json", "--since", "2999-01-01").stdout)
    assert later["site_changes"] == []
    page = tmp_path / "report.html"
    assert cli("report", "-o", str(page)).exit_code == 0
    assert "Data sharing with Microsoft for AI" in page.read_text()


def discover(cli: Cli, site: FixtureSite, *extra: str) -> Result:
    return cli("settings", "discover", *extra, "--base-url", site.base_url, "--timeout", "5")


def test_settings_discover_lists_each_category_page_marking_what_the_catalog_knows(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.new_setting = True
    result = discover(cli, site, "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["account"] == member.email
    privacy, ads = document["categories"]
    assert (privacy["category"], privacy["title"], privacy["path"]) == (
        "privacy",
        "Data privacy",
        "/mypreferences/d/categories/privacy",
    )
    known = {item["path"]: item["setting"] for item in privacy["items"]}
    assert known[AI_PAGE] == "generative_ai_training"
    assert {"label": ADDED["label"], "path": LATER.path, "setting": None} in privacy["items"]
    assert [item["setting"] for item in ads["items"]] == [
        "ads_beyond_linkedin",
        "ads_business_interactions",
        "ads_measurement",
        "ads_inferred_location",
        "ads_interests",
        "ads_age",
        "ads_gender",
    ]
    text = discover(cli, site, member.email)
    assert text.exit_code == 0, text.stderr
    assert f"Data privacy (/mypreferences/d/categories/privacy), as {member.email} sees it:" in text.stdout
    assert "not in the catalog" in text.stdout
    # It checks no setting and records nothing: a check of every setting still starts by learning.
    assert not any(r.path == AI_PAGE for r in site.received)
    assert site.setting_changes == []
    assert json.loads(cli("history", "--json").stdout) == {"entries": []}
    _, first = every_setting(cli, site)
    assert first["site_changes"] == []


def test_settings_discover_that_cannot_sign_in_says_why_in_one_line(cli: Cli, site: FixtureSite) -> None:
    site.add_account(Account(email="wrong@example.com", password="the right one"))
    add_account(cli, "wrong@example.com", "not the right one")
    result = discover(cli, site, "wrong@example.com")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "error: auth_failed: LinkedIn rejected the credentials of wrong@example.com"
    )
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_a_config_of_all_settings_checks_the_whole_catalog_of_the_day_and_reads_the_categories(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    # A schedule runs `check` with the settings of config.toml: ["all"] is resolved at each run,
    # so a setting the catalog learns later is checked with no change to the schedule's files.
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text('settings = ["all"]\n')
    code, document = cli.json(*check_args(site))
    assert code == 1  # every setting is on
    assert [r["setting"] for r in document["results"]] == load_catalog().names()
    assert "member_cookies" in load_catalog().names()
    assert document["site_changes"] == []
    assert any(r.path == "/mypreferences/d/categories/ads" for r in site.received)
