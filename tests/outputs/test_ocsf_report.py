"""`report --format ocsf`: one OCSF Compliance Finding (class_uid 2003) a line per account and
setting, from real checks, each line validated against the schema's model (py-ocsf-models)."""

from __future__ import annotations

import json

from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from checker.fixture_site import Account, FixtureSite
from tests.conftest import Cli, add_account, check_args


def test_each_account_and_setting_is_a_valid_compliance_finding_with_its_status(
    cli: Cli, site: FixtureSite, member: Account
) -> None:
    site.add_account(Account(email="other@example.com", password="the right passphrase"))
    add_account(cli, "other@example.com", "a wrong passphrase")
    cli.json(*check_args(site, member.email, "--setting", "ads_age", "--setting", "generative_ai_training"))
    cli.json(*check_args(site, member.email, "--apply"))  # the AI one: fixed
    cli.json(*check_args(site, "other@example.com"))  # auth_failed
    result = cli("report", "--format", "ocsf")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    findings = [ComplianceFinding.model_validate_json(line) for line in lines]  # the schema's model
    by = {(f.resources[0].uid, f.compliance.control): f for f in findings}
    assert set(by) == {
        (member.email, "generative_ai_training"),
        (member.email, "ads_age"),
        ("other@example.com", "generative_ai_training"),
    }
    status = {key: int(f.compliance.status_id) for key, f in by.items()}
    assert status == {
        (member.email, "generative_ai_training"): 1,  # Pass: fixed
        (member.email, "ads_age"): 3,  # Fail: on
        ("other@example.com", "generative_ai_training"): 0,  # Unknown: could not sign in
    }
    for line in lines:
        raw = json.loads(line)
        assert (raw["class_uid"], raw["category_uid"], raw["type_uid"]) == (2003, 2, 200301)
        assert raw["metadata"]["product"]["name"] == "linkedin-ai-optout"
        assert raw["metadata"]["log_provider"]  # the host
        assert isinstance(raw["time"], int)
    unknown = by[("other@example.com", "generative_ai_training")]
    assert unknown.finding_info.desc.startswith("auth_failed: LinkedIn rejected the credentials")
