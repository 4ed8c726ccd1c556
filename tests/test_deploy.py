"""deploy/kubernetes and the Dockerfile: every manifest valid for a pinned Kubernetes (offline), the
properties a fleet's CronJob must have, a pod's work replayed with the real CLI on real files, and
everything the image's build runs that can run here."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from packaging.requirements import Requirement

from checker.core.errors import ExitCode
from checker.fixture_site import Account, FixtureSite
from checker.linkedin.rules import load_catalog
from checker.store.accounts import AccountList
from checker.store.mounted_secrets import (
    BACKEND_NAME,
    DEFAULT_SECRETS_DIR,
    SECRETS_DIR_ENV,
    MountedAccount,
    parse_account,
)
from tests.outputs.test_report_to import Collector
from tests.store.test_mounted_secrets import kubelet_volume

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.33"
"""The schemas the manifests are held to (kubernetes-validate bundles them: no network)."""

Manifest = dict[str, Any]


def manifests() -> dict[str, list[Manifest]]:
    """Every resource of deploy/kubernetes, by file; kustomization.yaml is kustomize's, not the API's."""
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for path in sorted(KUBERNETES.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def resource(kind: str, name: str) -> Manifest:
    every = [doc for docs in manifests().values() for doc in docs]
    [found] = [doc for doc in every if (doc["kind"], doc["metadata"]["name"]) == (kind, name)]
    return found


def cronjob() -> Manifest:
    return resource("CronJob", "linkedin-ai-optout")


def pod_spec() -> Manifest:
    spec: Manifest = cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def container(name: str) -> Manifest:
    [found] = [c for c in pod_spec()["containers"] + pod_spec()["initContainers"] if c["name"] == name]
    return found


def env_value(of: Manifest, name: str) -> Any:
    [entry] = [entry for entry in of["env"] if entry["name"] == name]
    return entry.get("value", entry.get("valueFrom"))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No connection can be opened, nor a name looked up: the validator must work from its own files."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("the network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def validate(doc: Manifest) -> str:
    return str(kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True))


# --- the manifests, against the API's schemas ---------------------------------------------------


def test_every_manifest_is_valid_for_the_pinned_kubernetes_version_offline(offline: None) -> None:
    found = manifests()
    assert set(found) == {"configmap.yaml", "cronjob.yaml", "pvc.yaml", "secret.example.yaml"}
    for docs in found.values():
        for doc in docs:
            assert validate(doc) == KUBERNETES_VERSION


@pytest.mark.parametrize(
    ("good", "bad", "named"),
    [
        ("concurrencyPolicy:", "concurencyPolicy:", "concurencyPolicy"),
        ("completions: 3", 'completions: "three"', "'three' is not of type 'integer'"),
        ("readOnlyRootFilesystem:", "readOnlyRootFileSystem:", "readOnlyRootFileSystem"),
    ],
)
def test_a_misspelt_field_or_a_value_of_the_wrong_type_is_rejected(
    offline: None, good: str, bad: str, named: str
) -> None:
    text = (KUBERNETES / "cronjob.yaml").read_text()
    assert good in text
    with pytest.raises(kubernetes_validate.ValidationError, match=named):
        validate(yaml.safe_load(text.replace(good, bad, 1)))


def test_the_kustomization_lists_every_manifest_but_the_example_secrets() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(set(manifests()) - {"secret.example.yaml"})
    [image] = kustomization["images"]
    assert container("check")["image"].startswith(image["name"] + ":")


# --- what the issue asks of the CronJob ---------------------------------------------------------


def test_the_cronjob_runs_one_indexed_job_at_a_time_with_one_shard_per_completion() -> None:
    spec = cronjob()["spec"]
    job = spec["jobTemplate"]["spec"]
    assert (spec["concurrencyPolicy"], job["completionMode"]) == ("Forbid", "Indexed")
    assert spec["startingDeadlineSeconds"] > 0
    assert 1 <= job["parallelism"] <= job["completions"]
    assert job["backoffLimit"] <= 3
    assert job["backoffLimitPerIndex"] <= 1
    args = container("check")["args"]
    assert args[0] == "check"
    assert {"--apply", "--json"} <= set(args)
    assert args[args.index("--shards") + 1] == str(job["completions"])
    assert args[args.index("--metrics-file") + 1].endswith(".prom")
    assert args[args.index("--report-to") + 1] == "$(REPORT_URL)"  # the URL's token stays in a Secret
    # Findings are answers, not crashes: a shard that exits with one is not run again.
    [no_retry] = [rule for rule in job["podFailurePolicy"]["rules"] if rule["action"] == "FailIndex"]
    assert no_retry["onExitCodes"] == {
        "containerName": "check",
        "operator": "In",
        "values": [ExitCode.ACTION_NEEDED, ExitCode.USAGE, ExitCode.ATTENTION],
    }


def test_the_accounts_come_from_the_configmap_as_addresses_and_never_from_the_command_line(
    tmp_path: Path,
) -> None:
    # On a command line, an account could read as an option; in accounts.json it is checked as an
    # address on every read (checker/store/accounts.py), a leading `-` refused.
    assert not [arg for arg in container("check")["args"] if "@" in arg]
    path = tmp_path / "accounts.json"
    path.write_text(resource("ConfigMap", "linkedin-ai-optout-accounts")["data"]["accounts.json"])
    emails = sorted(account.email for account in AccountList(path).entries())
    assert emails == sorted(account.email for account in example_accounts())


def mebibytes(quantity: str) -> float:
    units = {"Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


def test_every_container_has_requests_and_limits_and_the_check_the_memory_make_bench_measured() -> None:
    for each in pod_spec()["containers"] + pod_spec()["initContainers"]:
        assert set(each["resources"]["requests"]) == set(each["resources"]["limits"]) == {"cpu", "memory"}
    args, limits = container("check")["args"], container("check")["resources"]["limits"]
    at_once = int(args[args.index("--concurrency") + 1]) if "--concurrency" in args else 1
    assert limits["cpu"] == "1"
    # make bench: a one-account check peaks near 700 MiB, each further account at once adds < 150 MiB.
    assert mebibytes(limits["memory"]) >= 700 + 150 * (at_once - 1)


def test_every_container_runs_unprivileged_on_a_read_only_root_filesystem() -> None:
    pod = pod_spec()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    for each in pod["containers"] + pod["initContainers"]:
        assert each["securityContext"] == {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        }
    mounts = {mount["mountPath"]: mount["name"] for mount in container("check")["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]  # Chromium writes there
    assert env_value(container("check"), "HOME") == "/tmp"


def test_the_check_reads_the_secret_read_only_through_the_mounted_backend() -> None:
    check = container("check")
    assert env_value(check, "PYTHON_KEYRING_BACKEND") == BACKEND_NAME
    secrets_dir = env_value(check, SECRETS_DIR_ENV)
    assert secrets_dir == DEFAULT_SECRETS_DIR
    [mount] = [mount for mount in check["volumeMounts"] if mount["mountPath"] == secrets_dir]
    assert mount["readOnly"] is True
    [volume] = [volume for volume in pod_spec()["volumes"] if volume["name"] == mount["name"]]
    assert volume["secret"] == {"secretName": "linkedin-ai-optout-accounts", "defaultMode": 0o440}


def example_accounts() -> list[MountedAccount]:
    """The accounts of the example Secret, read as the backend reads a mounted file."""
    secret = resource("Secret", "linkedin-ai-optout-accounts")["stringData"]
    return [parse_account(Path(key), text) for key, text in secret.items()]


def test_the_example_secret_holds_an_account_file_for_each_account_of_the_configmap_all_fake() -> None:
    parsed = example_accounts()
    assert all("REPLACE" in account.password for account in parsed)
    config = resource("ConfigMap", "linkedin-ai-optout-accounts")["data"]
    listed = json.loads(config["accounts.json"])["accounts"]
    emails = [entry if isinstance(entry, str) else entry["email"] for entry in listed]
    assert sorted(emails) == sorted(account.email for account in parsed)


# --- a pod's work, replayed on real files with the real CLI -------------------------------------


@pytest.fixture
def collector() -> Iterator[Collector]:
    running = Collector()
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()
    thread.join()


def test_each_shards_pod_checks_its_accounts_with_the_example_secret_and_configmap(
    tmp_path: Path, site: FixtureSite, collector: Collector
) -> None:
    """The volumes as kubelet makes them (in tmp_path), the env and args of the manifest as Kubernetes
    expands them, the init container's script and then the check, for each completion index."""
    pod = pod_spec()
    secret = resource("Secret", "linkedin-ai-optout-accounts")["stringData"]
    config = resource("ConfigMap", "linkedin-ai-optout-accounts")["data"]
    for account in example_accounts():
        site.add_account(Account(email=account.email, password=account.password))
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    local = {name: tmp_path / name for name in volumes}
    kubelet_volume(local["secrets"], secret)
    kubelet_volume(local["accounts"], config)
    local["data"].mkdir()
    local["tmp"].mkdir()

    def on_this_machine(text: str, mounts: list[Manifest]) -> str:
        """`text` with each mount's path replaced by the directory that stands for it here."""
        paths = {mount["mountPath"]: str(local[mount["name"]]) for mount in mounts}
        pattern = "|".join(re.escape(path) for path in sorted(paths, key=len, reverse=True))
        return re.sub(f'({pattern})(?=[/\\s"]|$)', lambda match: paths[match.group(1)], text)

    def expanded(text: str, env: dict[str, str]) -> str:
        """`text` with each `$(NAME)` replaced, as Kubernetes expands a container's env and args."""
        return re.sub(r"\$\((\w+)\)", lambda match: env[match.group(1)], text)

    def environment(of: Manifest, index: int) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LINKEDIN_AI_OPTOUT_")}
        env["JOB_COMPLETION_INDEX"] = str(index)  # the Job controller's
        for entry in of["env"]:
            if "value" in entry:
                env[entry["name"]] = on_this_machine(expanded(entry["value"], env), of["volumeMounts"])
            elif "fieldRef" in entry["valueFrom"]:
                assert "job-completion-index" in entry["valueFrom"]["fieldRef"]["fieldPath"]
                env[entry["name"]] = str(index)
            else:
                assert entry["valueFrom"]["secretKeyRef"]["name"] == "linkedin-ai-optout-collector"
                env[entry["name"]] = collector.url
        return env

    init, check = container("accounts"), container("check")
    completions = cronjob()["spec"]["jobTemplate"]["spec"]["completions"]
    results: list[dict[str, Any]] = []
    for index in range(completions):
        command = [on_this_machine(part, init["volumeMounts"]) for part in init["command"]]
        subprocess.run(command, env=environment(init, index), check=True)
        env = environment(check, index)
        args = [on_this_machine(expanded(arg, env), check["volumeMounts"]) for arg in check["args"]]
        done = subprocess.run(
            [sys.executable, "-m", "checker", *args, "--base-url", site.base_url, "--pace", "0"],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        results += json.loads(done.stdout)["results"]
        accounts_file = Path(env["LINKEDIN_AI_OPTOUT_HOME"]) / "accounts.json"
        assert accounts_file.lstat().st_mode & 0o777 == 0o600  # a regular file, not a link
        assert accounts_file.parent.stat().st_mode & 0o777 == 0o700
    expected = [(account.email, "fixed") for account in example_accounts()]
    assert sorted((result["account"], result["outcome"]) for result in results) == sorted(expected)
    assert not any(site.account(result["account"]).ai_training for result in results)
    assert sorted(path.name for path in (local["data"] / "metrics").iterdir()) == [
        f"shard-{index}.prom" for index in range(completions)
    ]
    posted = [result for _, _, body in collector.received for result in json.loads(body)["results"]]
    assert sorted(result["account"] for result in posted) == sorted(email for email, _ in expected)


# --- the Dockerfile -----------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in map(str.strip, text.splitlines()):
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            found.append((instruction.upper(), rest.strip()))
    return found


def instructions(name: str) -> list[str]:
    return [rest for instruction, rest in dockerfile() if instruction == name]


def test_the_image_is_playwrights_own_for_a_release_the_project_supports() -> None:
    defaults = dict(arg.split("=", 1) for arg in instructions("ARG") if "=" in arg)
    pinned = defaults["PLAYWRIGHT_VERSION"]
    # The release the project declares it works with; not the one installed here, which moves with
    # every new Playwright on PyPI while the image stays where it was pinned.
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    [wanted] = [Requirement(line) for line in dependencies if line.startswith("playwright")]
    assert wanted.specifier.contains(pinned), (pinned, str(wanted.specifier))
    [base] = instructions("FROM")
    assert base == "mcr.microsoft.com/playwright/python:v${PLAYWRIGHT_VERSION}-noble"
    [install] = instructions("RUN")
    # pip must install the release whose browsers the image holds, not the newest one.
    assert '"playwright==${PLAYWRIGHT_VERSION}" .' in install


def test_the_image_runs_the_cli_as_the_non_root_user_the_manifests_name() -> None:
    assert instructions("USER")[-1] == "pwuser"
    [install] = instructions("RUN")
    assert f'test "$(id -u pwuser)" = {pod_spec()["securityContext"]["runAsUser"]}' in install
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert json.loads(instructions("ENTRYPOINT")[-1]) == ["linkedin-ai-optout"]  # the tool, not the site
    assert scripts["linkedin-ai-optout"] == "checker.__main__:main"


def ignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def docker_ignores(relative: str) -> bool:
    """Whether Docker leaves `relative` out of the build, by .dockerignore's rules for the patterns it
    uses: the last pattern that matches the path or a folder above it decides; `!` lets it in."""
    ignored = False
    parts = relative.split("/")
    for pattern in ignore_patterns():
        body = pattern.removeprefix("!")
        regex = re.escape(body).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*")
        if any(re.fullmatch(regex, "/".join(parts[:depth])) for depth in range(1, len(parts) + 1)):
            ignored = not pattern.startswith("!")
    return ignored


def build_context(into: Path) -> Path:
    """What the COPY lines put into the image, from what .dockerignore lets into the build."""
    for copied in instructions("COPY"):
        *sources, _ = copied.split()
        for source in sources:
            files = [ROOT / source] if (ROOT / source).is_file() else (ROOT / source).rglob("*")
            for path in files:
                relative = path.relative_to(ROOT).as_posix()
                if path.is_file() and not docker_ignores(relative):
                    (into / relative).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, into / relative)
    return into


def test_dockerignore_sends_what_the_dockerfile_copies_and_keeps_out_the_rest() -> None:
    for copied in instructions("COPY"):
        for source in copied.split()[:-1]:
            assert (ROOT / source).exists(), source
            assert not docker_ignores(source), source
    for kept_out in (".venv", ".git", "tests/test_deploy.py", "checker/__pycache__/cli.cpython-311.pyc"):
        assert docker_ignores(kept_out), kept_out
    assert not docker_ignores("checker/store/mounted_secrets.py")


def test_the_project_the_image_copies_builds_installs_and_runs_its_entrypoint(tmp_path: Path) -> None:
    """The image's `pip install`, offline: the wheel built from exactly what the Dockerfile copies,
    installed on its own, its entrypoint run from elsewhere (the dependencies are this venv's)."""
    context = build_context(tmp_path / "context")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    wheels, target = tmp_path / "wheels", tmp_path / "installed"
    build = ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(wheels)]
    subprocess.run([*pip, *build, str(context)], check=True)
    [wheel] = wheels.glob("*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)], check=True
    )

    env = os.environ | {"PYTHONPATH": str(target)}
    [entrypoint] = json.loads(instructions("ENTRYPOINT")[-1])

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(target / "bin" / entrypoint), *args], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("--version").strip() == f"linkedin-ai-optout {version('linkedin-ai-optout')}"
    listed = json.loads(run("settings", "list", "--json"))  # reads the selector data the wheel carries
    assert len(listed["settings"]) == len(load_catalog().names())
    assert Path(listed["catalog"]).is_relative_to(target / "checker" / "_data")
