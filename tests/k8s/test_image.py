"""The container image definition (no Docker engine here: the files are checked instead).

One image for the platform: a pinned slim Python base, the package installed with
`pip install -c constraints.txt .`, a numeric non-root user, `agora` as the entrypoint, so that
every manifest's command is `agora run <service>` (or another `agora` sub-command).
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO

pytestmark = pytest.mark.k8s

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_base_image_is_an_exact_slim_python_311_release():
    bases = [rest.split()[0] for keyword, rest in instructions() if keyword == "FROM"]
    assert bases
    for base in bases:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base), base


def test_package_installed_with_the_constraints():
    runs = " ".join(rest for keyword, rest in instructions() if keyword == "RUN")
    assert "pip install -c constraints.txt ." in runs


def test_runs_as_numeric_non_root_user():
    users = [rest for keyword, rest in instructions() if keyword == "USER"]
    assert users and users[-1].split(":")[0] == "10001"
    assert "--uid 10001" in DOCKERFILE.read_text()


def test_entrypoint_is_the_agora_command():
    (entrypoint,) = [rest for keyword, rest in instructions() if keyword == "ENTRYPOINT"]
    assert entrypoint == '["agora"]'  # exec form: agora is PID 1 and receives SIGTERM


def test_no_remote_downloads_or_secrets_in_the_image():
    for keyword, rest in instructions():
        assert keyword != "ADD", "use COPY (ADD fetches URLs and unpacks archives)"
        assert not re.search(r"\b(curl|wget)\b", rest)
        if keyword in ("ENV", "ARG"):
            assert not re.search(r"PASSWORD|SECRET|TOKEN|PRIVATE", rest, re.IGNORECASE), rest


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore semantics, enough for this file: last matching pattern wins."""
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [pattern, pattern.replace("**/", "")]
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatchcase(p, c) for p in prefixes for c in candidates) or (
            pattern.startswith("**/")
            and any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts)
        ):
            result = not negate
    return result


def test_dockerignore_keeps_the_context_to_what_the_build_copies():
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for needed in [
        "pyproject.toml",
        "constraints.txt",
        "services/ops/cli.py",
        "gateway/service.py",
    ]:
        assert not ignored(needed, patterns), needed
    for kept_out in [
        ".git/HEAD",
        ".venv/bin/python",
        ".state/jwt.pem",
        "tests/conftest.py",
        "k8s/base/gateway.yaml",
        "services/shared/__pycache__/cli.cpython-311.pyc",
        "docs/runbook.md",
        "bench/run.py",
        "dev/stack.sh",
    ]:
        assert ignored(kept_out, patterns), kept_out
    for keyword, rest in instructions():
        if keyword == "COPY" and "--from=" not in rest:
            for source in rest.split()[:-1]:
                assert not ignored(source, patterns), f"COPY {source} but .dockerignore excludes it"
                assert (REPO / source).exists(), source


def test_installed_package_carries_its_data_files(tmp_path):
    """The image installs the package (not the source tree): every non-Python file that the
    processes read at run time (config.yaml, the web UI's static files) must be package data."""
    if shutil.which("git") is None:
        pytest.fail("git is needed to list the package's files", pytrace=False)
    context = tmp_path / "context"
    tracked = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "pyproject.toml", "services", "gateway"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in tracked:
        if "__pycache__" in name or not (REPO / name).is_file():
            continue
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, context / name)
    build = tmp_path / "build"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(build),
        ],
        cwd=context,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = [
        n
        for n in tracked
        if n.startswith(("services/", "gateway/"))
        and not n.endswith((".py", ".pyc"))
        and "__pycache__" not in n
    ]
    missing = [n for n in data if not (build / n).exists()]
    assert not missing, (
        f"not installed by `pip install .`, so missing from the image: {missing}. "
        "Declare them as package data in pyproject.toml, e.g. [tool.setuptools.package-data] "
        '"*" = ["*.yaml", "static/**/*"]'
    )
