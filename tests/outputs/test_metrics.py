"""`check --metrics-file`: Prometheus' text format for node_exporter's textfile collector, parsed
back with prometheus_client's own parser."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from checker.fixture_site import Account, FixtureSite
from tests.conftest import Cli, check_args


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the file, by name and labels, as Prometheus reads them."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
    }


def test_a_run_writes_its_results_per_setting_and_outcome_and_no_account(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    (tmp_path / "textfile").mkdir()
    path = tmp_path / "textfile" / "linkedin.prom"
    site.account(member.email).settings["allowAdsByAge"] = False
    before = time.time()
    args = ["--setting", "generative_ai_training", "--setting", "ads_age", "--metrics-file", str(path)]
    code, _ = cli.json(*check_args(site, *args))
    assert code == 1
    found = samples(path)
    results = {
        labels: value for (name, labels), value in found.items() if name == "linkedin_ai_optout_results"
    }
    assert results[(("outcome", "non_compliant"), ("setting", "generative_ai_training"))] == 1
    assert results[(("outcome", "compliant"), ("setting", "ads_age"))] == 1
    assert results[(("outcome", "fixed"), ("setting", "ads_age"))] == 0  # every outcome, 0 included
    assert sum(results.values()) == 2
    assert found[("linkedin_ai_optout_last_run_exit_code", ())] == 1
    assert found[("linkedin_ai_optout_accounts_checked", ())] == 1
    assert found[("linkedin_ai_optout_drift_results", (("setting", "ads_age"),))] == 0
    assert before <= found[("linkedin_ai_optout_last_run_timestamp_seconds", ())] <= time.time()
    assert 0 < found[("linkedin_ai_optout_last_run_duration_seconds", ())] < 120
    assert member.email not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["linkedin.prom"]  # no temporary file left


def test_the_next_run_replaces_the_file_and_drift_shows(
    cli: Cli, site: FixtureSite, member: Account, tmp_path: Path
) -> None:
    path = tmp_path / "linkedin.prom"
    member.ai_training = False
    cli.json(*check_args(site, "--metrics-file", str(path)))
    member.ai_training = True  # LinkedIn switches it back on
    code, _ = cli.json(*check_args(site, "--apply", "--metrics-file", str(path)))
    assert code == 0
    found = samples(path)
    assert found[("linkedin_ai_optout_drift_results", (("setting", "generative_ai_training"),))] == 1
    key = (("outcome", "fixed"), ("setting", "generative_ai_training"))
    assert found[("linkedin_ai_optout_results", key)] == 1
    assert found[("linkedin_ai_optout_results", (("outcome", "compliant"), key[1]))] == 0


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("metrics.txt", 2, "must end in .prom"),
        ("missing/linkedin.prom", 4, "is not a directory"),
    ],
)
def test_a_metrics_file_that_cannot_be_written_is_refused_before_the_run(
    cli: Cli, site: FixtureSite, tmp_path: Path, name: str, code: int, message: str
) -> None:
    result = cli(*check_args(site, "--metrics-file", str(tmp_path / name)))
    assert result.exit_code == code
    assert result.stderr.startswith("error: --metrics-file: ")
    assert message in result.stderr
    assert site.received == []
