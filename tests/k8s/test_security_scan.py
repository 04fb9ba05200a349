"""Security scan of the rendered manifests and of the Dockerfile with checkov, offline.

checkov conflicts with the project's pinned dependencies (it needs packaging<24), so it runs as a
command from its own virtualenv: the CHECKOV environment variable names the executable, or
`checkov` is found on PATH. It runs once per overlay (about 5 s each).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from .conftest import K8S, OVERLAYS, REPO

pytestmark = pytest.mark.k8s

CONFIG = K8S / ".checkov.yaml"


def checkov() -> str:
    path = os.environ.get("CHECKOV") or shutil.which("checkov")
    if not path:
        pytest.fail(
            "checkov not found: install it in its own virtualenv "
            "(python3 -m venv V && V/bin/pip install checkov==3.3.30) and set "
            "CHECKOV=V/bin/checkov",
            pytrace=False,
        )
    return path


def run_checkov(framework: str, target) -> dict:
    result = subprocess.run(
        [
            checkov(),
            "--config-file",
            str(CONFIG),
            "--framework",
            framework,
            "--skip-download",
            "-f",
            str(target),
            "-o",
            "json",
            "--quiet",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert result.returncode in (0, 1), result.stderr
    reports = json.loads(result.stdout)
    (report,) = reports if isinstance(reports, list) else [reports]
    return report


@pytest.fixture(scope="module")
def scans(rendered_overlays, tmp_path_factory) -> dict[str, dict]:
    out = {}
    for name in OVERLAYS:
        path = tmp_path_factory.mktemp("checkov") / f"{name}.yaml"
        path.write_text(rendered_overlays[name].text)
        out[name] = run_checkov("kubernetes", path)
    out["Dockerfile"] = run_checkov("dockerfile", REPO / "Dockerfile")
    return out


@pytest.mark.parametrize("target", [*OVERLAYS, "Dockerfile"])
def test_checkov_reports_no_failed_check(scans, target):
    report = scans[target]
    failed = [
        f"{f['check_id']} {f['check_name']} — {f['resource']}"
        for f in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert report["summary"]["passed"] > 50  # it really scanned something
    assert report["summary"]["parsing_errors"] == 0


def test_every_global_skip_is_justified():
    text = CONFIG.read_text()
    skips = yaml.safe_load(text)["skip-check"]
    for check in skips:
        # A comment block naming the check precedes it in the file.
        assert re.search(rf"^  # {check} \".+\": \S.*$", text, re.MULTILINE), (
            f"{check} skipped without a reason"
        )


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_resource_skip_is_justified(rendered_overlays, name):
    for obj in rendered_overlays[name].objects:
        for key, value in (obj["metadata"].get("annotations") or {}).items():
            if key.startswith("checkov.io/skip"):
                check, _, reason = value.partition("=")
                assert re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check) and len(reason) > 30, value


def test_dockerfile_skips_are_justified():
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if "checkov:skip=" in line:
            check, _, reason = line.split("checkov:skip=", 1)[1].partition(":")
            assert re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check) and reason.strip(), line
