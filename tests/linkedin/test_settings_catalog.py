"""Every data-use setting of the catalog: `settings list`, `check --setting`, through the real CLI
against the fixture site, where each setting has its own page, state and save."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from checker.fixture_site import Account, FixtureSite
from checker.linkedin.rules import load_rules, rules_path
from tests.conftest import Cli, check_args

# The catalog the issue asks for: name, page under /mypreferences/d/, the switch's aria-labelledby
# (brave/psst-component src/linkedin/user.ts, d54d3c0, Aug 2026).
EXPECTED = {
    "generative_ai_training": ("settings/data-for-ai-improvement", "allowDataForGenerativeAI"),
    "research_third_parties": ("settings/policy-and-academic-research", "allowAnonymizedDataResearch"),
    "partner_data_sharing": ("settings/share-data-with-select-partners", "shareDataWithTrustedPartners"),
    "marketing_promotions": ("settings/linkedin-promotions", "allowProfileAndActivityDataForMarketingAds"),
    # brave/psst-component user.ts (10b696b, 2026): a switch found by its id; no public save.
    "member_cookies": ("member-cookies", "nonEssentialCookieConsent"),
    "ads_beyond_linkedin": ("settings/ads-beyond-linkedin", "allowLinkedInAudienceNetwork"),
    "ads_business_interactions": ("settings/ads-interactions-with-business", "allowUseOfThirdPartyData"),
    "ads_measurement": ("settings/ads-related-actions", "allowConversionTrackings"),
    "ads_inferred_location": ("settings/ads-inferred-location", "allowIpToPersonalizeAds"),
    "ads_interests": ("interest-categories", "adsPrivacyAllowInterestsAndBehaviors"),
    "ads_age": ("settings/ads-by-age", "allowAdsByAge"),
    "ads_gender": ("settings/ads-by-gender", "allowAdsByGender"),
}
KEY = {name: key for name, (_, key) in EXPECTED.items()}
EMAIL_TIPS = "tipsForUsingLinkedinViaEmail"


def results_by_setting(document: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {result["setting"]: result for result in document["results"]}


def test_settings_list_shows_the_whole_catalog_with_pages_switches_and_saves(cli: Cli) -> None:
    result = cli("settings", "list", "--json")
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)["settings"]
    assert [entry["name"] for entry in listed] == list(EXPECTED)
    for entry in listed:
        page, key = EXPECTED[entry["name"]]
        assert entry["path"] == f"/mypreferences/d/{page}"
        if entry["name"] == "member_cookies":
            assert (entry["switch"], entry["save"]) == (f"input[role='switch']#{key}", None)
            assert (entry["source"].split(" (")[0], entry["since"]) == (
                "brave/psst-component user.ts",
                "2026-12-07",
            )
        else:
            assert entry["switch"] == f"input[role='switch'][aria-labelledby='{key}']"
            assert entry["save"] == {"method": "PUT", "path": f"/mysettings-api/settingsApiSettings/{key}"}
            assert entry["since"] == "2026-11-23"
        assert entry["source"].startswith("brave/psst-component user.ts")
        assert entry["title"]
        assert entry["uses"]
        assert entry["category"] in ("Data privacy", "Advertising data")
    assert [entry["name"] for entry in listed if entry["default"]] == ["generative_ai_training"]
    table = cli("settings", "list")
    assert table.exit_code == 0
    assert "ads_interests" in table.stdout
    assert "in the catalog since" in table.stdout
    assert "2026-12-07" in table.stdout
    assert "--setting all" in table.stdout


def test_check_setting_all_apply_switches_every_setting_off_with_one_sign_in(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    code, document = cli.json(*check_args(site, "--setting", "all", "--apply"))
    assert code == 0, document
    assert [result["setting"] for result in document["results"]] == list(EXPECTED)
    for result in document["results"]:
        assert (result["outcome"], result["state_before"], result["state_after"]) == ("fixed", "on", "off")
        assert result["account"] == member.email
        assert result["verified"] is True
    for key in KEY.values():
        assert site.account(member.email).state(key) is False, key
    # The neighbour on the promotions page is email tips, not a data use: never touched.
    assert site.account(member.email).state(EMAIL_TIPS) is True
    assert EMAIL_TIPS not in {change.key for change in site.setting_changes}
    assert sorted(change.key for change in site.setting_changes if change.accepted) == sorted(KEY.values())
    assert site.password_submissions(member.email) == 1


def test_absent_and_already_off_settings_are_reported_each_and_never_clicked(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    account = site.account(member.email)
    account.unavailable = frozenset({KEY["partner_data_sharing"], KEY["ads_age"]})
    account.settings[KEY["ads_gender"]] = False
    account.settings[KEY["research_third_parties"]] = False
    code, document = cli.json(*check_args(site, "--setting", "all", "--apply"))
    assert code == 0
    outcomes = {name: result["outcome"] for name, result in results_by_setting(document).items()}
    assert outcomes == {
        **{name: "fixed" for name in EXPECTED},
        "partner_data_sharing": "not_applicable",
        "ads_age": "not_applicable",
        "ads_gender": "compliant",
        "research_third_parties": "compliant",
    }
    clicked = {change.key for change in site.setting_changes}
    assert clicked.isdisjoint({KEY["partner_data_sharing"], KEY["ads_age"], KEY["ads_gender"]})
    assert KEY["research_third_parties"] not in clicked


def test_a_read_only_check_of_some_settings_reports_each_in_catalog_order(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.account(member.email).settings[KEY["ads_interests"]] = False
    code, document = cli.json(
        *check_args(site, "--setting", "ads_interests", "--setting", "research_third_parties")
    )
    assert code == 1  # one is on: action needed
    assert [(r["setting"], r["outcome"]) for r in document["results"]] == [
        ("research_third_parties", "non_compliant"),
        ("ads_interests", "compliant"),
    ]
    assert site.setting_changes == []


def test_a_changed_switch_is_ui_changed_for_that_setting_alone(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A release of LinkedIn renames one switch's label id, and words it anew: no layer finds it.
    patched = tmp_path / "selectors"
    patched.mkdir()
    shutil.copy(rules_path(), patched / "linkedin.toml")
    catalog = (rules_path().parent / "settings.toml").read_text()
    catalog = catalog.replace("aria-labelledby='allowAdsByAge'", "aria-labelledby='allowAdsByAgeRange'")
    catalog = catalog.replace(
        'label = { en = "Use my age range for ads" }', 'label = { en = "Age-based ads" }'
    )
    (patched / "settings.toml").write_text(catalog)
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_SELECTORS", str(patched / "linkedin.toml"))
    # ads_age's switch is waited out; ads_gender's save (1.5 s at the site) still well within it.
    args = check_args(site, "--setting", "ads_age", "--setting", "ads_gender", "--apply", timeout=3)
    code, document = cli.json(*args)
    results = results_by_setting(document)
    assert code == 4
    assert (results["ads_age"]["outcome"], results["ads_age"]["state_before"]) == ("ui_changed", "unknown")
    assert results["ads_age"]["evidence"] is not None
    assert results["ads_gender"]["outcome"] == "fixed", results["ads_gender"]["detail"]
    assert site.account(member.email).state(KEY["ads_age"]) is True
    assert {change.key for change in site.setting_changes} == {KEY["ads_gender"]}


def test_a_failed_sign_in_is_the_outcome_of_every_setting_asked_for(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    member.password = "changed on the site"
    code, document = cli.json(
        *check_args(site, "--setting", "ads_age", "--setting", "generative_ai_training")
    )
    assert code == 3
    assert [(r["setting"], r["outcome"]) for r in document["results"]] == [
        ("generative_ai_training", "auth_failed"),
        ("ads_age", "auth_failed"),
    ]
    assert site.password_submissions(member.email) == 1


def test_history_keeps_a_row_per_setting_and_drift_per_setting(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    account = site.account(member.email)
    account.settings[KEY["ads_gender"]] = False
    cli.json(*check_args(site, "--setting", "ads_gender", "--setting", "ads_age"))
    account.settings[KEY["ads_gender"]] = True  # LinkedIn switches it back on
    _code, document = cli.json(*check_args(site, "--setting", "ads_gender", "--setting", "ads_age"))
    results = results_by_setting(document)
    assert (results["ads_gender"]["drift"], results["ads_gender"]["previous_state"]) == (True, "off")
    assert (results["ads_age"]["drift"], results["ads_age"]["previous_state"]) == (False, "on")
    with sqlite3.connect(isolated_home / "history.sqlite3") as db:
        rows = db.execute("SELECT setting, state_before, drift FROM checks ORDER BY id").fetchall()
    assert rows == [
        ("ads_age", "on", 0),
        ("ads_gender", "off", 0),
        ("ads_age", "on", 0),
        ("ads_gender", "on", 1),
    ]
    shown = cli("history")
    assert "ads_gender" in shown.stdout
    assert "(drift)" in shown.stdout


def test_the_table_groups_the_settings_under_each_account(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    result = cli(*check_args(site, "--setting", "ads_age", "--setting", "ads_gender"))
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "ads_" in line]
    assert len(lines) == 2
    assert lines[0].startswith(member.email)
    assert not lines[1].startswith(member.email)


def test_the_config_file_names_the_settings_a_plain_check_looks_at(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    isolated_home.mkdir(exist_ok=True)
    (isolated_home / "config.toml").write_text('settings = ["ads_beyond_linkedin"]\n')
    _, document = cli.json(*check_args(site))
    assert [r["setting"] for r in document["results"]] == ["ads_beyond_linkedin"]
    _, document = cli.json(*check_args(site, "--setting", "generative_ai_training"))
    assert [r["setting"] for r in document["results"]] == ["generative_ai_training"]  # the command line wins


def test_an_unknown_setting_is_one_line_and_exit_2_before_anything_runs(cli: Cli, site: FixtureSite) -> None:
    result = cli(*check_args(site, "--setting", "ads_colour"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --setting: unknown setting 'ads_colour'; the settings are: all, ")
    assert len(result.stderr.splitlines()) == 1
    assert site.received == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('category = "ads"', 'category = "adverts"', "'adverts' is not one of the categories"),
        (
            "switch = \"input[role='switch'][aria-labelledby='allowAdsByAge']\"",
            'switch = "#age"',
            "settings.ads_age.switch: String should match pattern",
        ),
        (
            'item = { en = "Gender" }',
            'item = { fr = "Genre" }',
            "settings.ads_gender: item: English (en) is the reference language",
        ),
        (
            'title = "Ads by age range"',
            'title = "Ads by age range"\ncolour = 1',
            "settings.ads_age.colour: unknown key",
        ),
        ('state = "attached"', 'state = "attached"\ncolour = 1', "targets.switch.colour: unknown key"),
        (
            '{ label = "{key}.label" }',
            '{ label = "{name}.label" }',
            "targets: switch.layers.2.label: unknown placeholder {name}",
        ),
        (
            '{ css = "{switch}" },\n  { role = "switch", name = "{key}.label" },',
            '{ role = "switch", name = "{key}.label" },\n  { css = "{switch}" },',
            "targets.switch: css layers must come before role, label and text layers",
        ),
    ],
)
def test_a_malformed_catalog_names_the_file_and_the_key(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, message: str
) -> None:
    shutil.copy(rules_path(), tmp_path / "linkedin.toml")
    text = (rules_path().parent / "settings.toml").read_text()
    assert old in text
    (tmp_path / "settings.toml").write_text(text.replace(old, new, 1))
    monkeypatch.setenv("LINKEDIN_AI_OPTOUT_SELECTORS", str(tmp_path / "linkedin.toml"))
    result = cli("settings", "list")
    assert result.exit_code == 4
    assert result.stderr.startswith(f"error: {tmp_path / 'settings.toml'}: ")
    assert message in result.stderr


def test_every_catalog_entry_becomes_an_item_and_a_switch_target_css_first() -> None:
    rules = load_rules()
    for name, (page, _) in EXPECTED.items():
        assert rules.targets[f"{name}.switch"].layers[0].model_dump() == {"css": rules.catalog[name].switch}
        assert rules.targets[f"{name}.item"].layers[0].model_dump() == {
            "css": f"main a[href$='/mypreferences/d/{page}']"
        }


def test_how_a_setting_is_found_is_the_catalogs_template_filled_in(tmp_path: Path) -> None:
    text = (rules_path().parent / "settings.toml").read_text()
    item = "{ css = \"main a[href$='{path}']\" },"
    assert item in text
    patched = tmp_path / "settings.toml"
    patched.write_text(text.replace(item, "{ css = \"main li a[href*='{path}']\" },"))
    rules = load_rules(catalog=patched)
    for name, (page, _) in EXPECTED.items():
        assert rules.css(f"{name}.item") == [f"main li a[href*='/mypreferences/d/{page}']"]
        assert rules.css(f"{name}.switch") == [rules.catalog[name].switch]


def test_an_unattended_check_fetches_no_images_and_the_settings_app_once(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    cli.json(
        *check_args(site, "--setting", "ads_age", "--setting", "ads_gender", "--setting", "ads_interests")
    )
    paths = [r.path for r in site.received]
    assert [path for path in paths if path.startswith("/media/")] == []  # the pages show 2 images each
    assert "/feed/" not in paths
    # Cached across the pages of the account's context: one download, whatever the number of pages.
    assert paths.count("/static/settings-bundle.js") == 1
