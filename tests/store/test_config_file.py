"""The user's config file, config.toml in the data directory: strict keys, named errors, `config show`,
and the order command line > config file > built-in default, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from checker.cli.options import Pace, typed
from checker.fixture_site import Account, FixtureSite
from checker.store.config_file import DEFAULT_PACE, UserConfig, load_user_config
from tests.conftest import Cli


def write_config(home: Path, text: str) -> Path:
    home.mkdir(mode=0o700, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "notfy = []\n",
            "notfy: unknown key; the keys are base_url, pace, timeout, notify, settings, concurrency",
        ),
        ("concurrency = 0\n", "concurrency: expected a whole number of accounts at once, 1 to 8, got 0"),
        ("concurrency = 2.5\n", "concurrency: expected a whole number of accounts at once, 1 to 8, got 2.5"),
        ("[check]\npace = 1\n", "check: unknown key"),
        ('pace = "fast"\n', "pace: expected a number of seconds, 0 to 3600, got 'fast'"),
        ("pace = -1\n", "pace: expected a number of seconds, 0 to 3600, got -1"),
        ("timeout = 0.5\n", "timeout: expected a number of seconds, 1 to 600, got 0.5"),
        ("timeout = true\n", "timeout: expected a number of seconds, 1 to 600, got True"),
        ('notify = "json://127.0.0.1/x"\n', "notify: expected a list of Apprise URLs"),
        ("notify = [1]\n", "notify[0]: expected a list of Apprise URLs"),
        ('settings = ["email_visibility"]\n', "settings[0]: unknown setting 'email_visibility'"),
        ("settings = []\n", "settings: empty"),
        ('base_url = "http://example.com"\n', "base_url: --base-url 'http://example.com': plain http"),
        ("pace = \n", "not valid TOML (Invalid value (at line 1, column 8))"),
    ],
)
def test_a_bad_config_file_stops_check_naming_the_file_and_the_key_before_the_site_is_touched(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path, text: str, message: str
) -> None:
    path = write_config(isolated_home, text)
    result = cli("check", "--base-url", site.base_url)
    assert result.exit_code == 4
    assert result.stderr.startswith(f"error: {path}: {message}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert site.received == []


def test_a_notify_url_apprise_does_not_know_is_named_by_its_place_and_shown_without_secrets(
    cli: Cli, isolated_home: Path
) -> None:
    path = write_config(
        isolated_home, 'notify = ["json://127.0.0.1/ok", "nope://me:pa55-s3cret@host.example/x"]\n'
    )
    result = cli("config", "show")
    assert result.exit_code == 4
    assert result.stderr.startswith(f"error: {path}: notify[1]: not a notification URL Apprise knows")
    assert "nope://host.example/…" in result.stderr
    assert "pa55-s3cret" not in result.stderr


def test_config_show_without_a_file_shows_the_defaults_and_writes_nothing(
    cli: Cli, isolated_home: Path
) -> None:
    result = cli("config", "show", "--json")
    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert (document["path"], document["exists"]) == (str(isolated_home / "config.toml"), False)
    assert document["values"] == {
        "base_url": {"value": "https://www.linkedin.com", "source": "default"},
        "pace": {"value": 5, "source": "default"},
        "timeout": {"value": 20, "source": "default"},
        "notify": {"value": [], "source": "default"},
        "settings": {"value": ["generative_ai_training"], "source": "default"},
        "concurrency": {"value": 1, "source": "default"},
        "evidence": {"value": "failure", "source": "default"},
        "evidence_days": {"value": 400, "source": "default"},
    }
    assert "absent" in cli("config", "show").stdout
    assert not isolated_home.exists()


def test_config_show_says_where_each_value_comes_from_and_masks_notify_secrets(
    cli: Cli, isolated_home: Path
) -> None:
    write_config(
        isolated_home,
        "pace = 12\n"
        'base_url = "https://www.linkedin.com/"\n'
        'notify = ["json://alice:pw-s3cret-x@127.0.0.1:8080/hook?token=tok-s3cret-y", '
        '"tgram://123456789:AAH-bot-s3cret/987"]\n',
    )
    before = sorted(isolated_home.iterdir())
    result = cli("config", "show")
    assert result.exit_code == 0
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["pace", "12", "config.toml"] in lines
    assert ["timeout", "20", "default"] in lines
    assert ["base_url", "https://www.linkedin.com", "config.toml"] in lines
    assert ["notify", "json://127.0.0.1:8080/…,", "tgram://…", "config.toml"] in lines
    shown = result.stdout + cli("config", "show", "--json").stdout
    for secret in ("pw-s3cret-x", "tok-s3cret-y", "AAH-bot-s3cret", "alice"):
        assert secret not in shown
    assert sorted(isolated_home.iterdir()) == before  # reading wrote nothing


def test_config_path_prints_where_the_file_goes(cli: Cli, isolated_home: Path) -> None:
    result = cli("config", "path")
    assert (result.exit_code, result.stdout) == (0, f"{isolated_home / 'config.toml'}\n")


def test_the_command_line_wins_over_the_file_and_the_file_over_the_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('timeout = 40\nnotify = ["json://127.0.0.1/a"]\n')
    config = load_user_config(path)
    from_file = config.resolve()
    assert (from_file.timeout, from_file.pace, from_file.notify) == (40, 5, ("json://127.0.0.1/a",))
    assert (from_file.sources["timeout"], from_file.sources["pace"]) == ("config.toml", "default")
    given = config.resolve(timeout=3.0, pace=0.0, notify=["json://127.0.0.1/b"])
    assert (given.timeout, given.pace, given.notify) == (3, 0, ("json://127.0.0.1/b",))
    assert set(given.sources.values()) == {"command line", "default"}
    assert UserConfig(path, exists=False, values={}).resolve().sources["timeout"] == "default"


def test_check_talks_to_the_base_url_of_the_config_file_unless_the_command_line_names_another(
    cli: Cli, site: FixtureSite, member: Account, isolated_home: Path
) -> None:
    write_config(isolated_home, f'base_url = "{site.base_url}"\npace = 0\ntimeout = 5\n')
    code, document = cli.json("check")
    assert (code, document["results"][0]["outcome"]) == (1, "non_compliant")
    assert site.login_attempts != []
    with FixtureSite() as other:
        other.add_account(Account(email=member.email, password=member.password, ai_training=False))
        code, document = cli.json("check", "--base-url", other.base_url)
        assert (code, document["results"][0]["outcome"]) == (0, "compliant")
        assert other.login_attempts != []
    assert len(site.login_attempts) == 1


def test_a_symbolic_link_to_a_config_file_elsewhere_is_read(
    cli: Cli, isolated_home: Path, tmp_path: Path
) -> None:
    dotfiles = tmp_path / "dotfiles.toml"
    dotfiles.write_text("pace = 30\n")
    isolated_home.mkdir(mode=0o700)
    (isolated_home / "config.toml").symlink_to(dotfiles)
    assert json.loads(cli("config", "show", "--json").stdout)["values"]["pace"]["value"] == 30


def test_an_option_typed_with_its_default_value_still_wins_over_the_file() -> None:
    probe = typer.Typer()

    @probe.command()
    def show(ctx: typer.Context, pace: Pace = DEFAULT_PACE) -> None:
        print(typed(ctx, pace=pace))

    runner = CliRunner()
    assert runner.invoke(probe, ["--pace", "5"]).stdout == "{'pace': 5.0}\n"
    assert runner.invoke(probe, []).stdout == "{'pace': None}\n"
