"""Every command the README, CONTRIBUTING and the benchmarks page document must work.

The commands are read from the documents themselves (fenced ``bash`` blocks and inline code
that starts with ``make``, ``.venv/bin/`` or ``python``), so a newly documented command is
tested without anyone remembering to add it here. Each one is started in the cheapest way
that proves it exists and runs: ``make -n`` for a make target, ``--help`` for a script,
collection for pytest, and JupyterLab is started for real and asked for its page.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ["README.md", "CONTRIBUTING.md", "benchmarks/README.md"]
BIN = pathlib.Path(sys.executable).parent
STARTS = ("make ", ".venv/bin/", "python ")


def documented_commands() -> list[str]:
    found = []
    for doc in DOCS:
        text = (ROOT / doc).read_text()
        blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
        lines = [ln for block in blocks for ln in block.splitlines()]
        lines += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
        for line in lines:
            command = line.split("#", 1)[0].strip()
            if command.startswith(STARTS) and command not in found:
                found.append(command)
    return found


COMMANDS = documented_commands()


def test_the_documents_name_the_two_commands_and_more():
    assert "make book" in COMMANDS and "make test" in COMMANDS
    assert ".venv/bin/jupyter lab chapters/" in COMMANDS
    assert len(COMMANDS) >= 8


def run(args, timeout=300):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_jupyter_is_documented_with_and_without_root():
    assert {".venv/bin/jupyter lab chapters/", ".venv/bin/jupyter lab chapters/ --allow-root"} <= set(COMMANDS)


@pytest.mark.parametrize("command", [c for c in COMMANDS if "jupyter lab" not in c])
def test_documented_command_starts(command):
    words = shlex.split(command.replace("--speed-factor M", "--speed-factor 1"))
    if words[0] == "make":
        proc = run(["make", "-n", *words[1:]])
    else:
        python, rest = words[0], words[1:]
        assert python in ("python", ".venv/bin/python"), f"documented with an unknown interpreter: {command}"
        if rest[:2] == ["-m", "pytest"]:
            proc = run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", *rest[2:]])
        else:
            script = ROOT / rest[0]
            assert script.is_file(), f"{command}: no such script"
            proc = run([sys.executable, str(script), "--help"])
    assert proc.returncode == 0, f"{command}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_jupyter_lab_starts_and_serves_the_chapters(tmp_path):
    jupyter = BIN / "jupyter"
    assert jupyter.exists() and (BIN / "jupyter-lab").exists(), "JupyterLab is not installed"
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    # as root Jupyter refuses to start unless told --allow-root (the README says so)
    as_root = ["--allow-root"] if os.geteuid() == 0 else []
    proc = subprocess.Popen(
        [str(jupyter), "lab", "chapters/", *as_root, "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--IdentityProvider.token="],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline, page, listing = time.monotonic() + 90, None, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5) as r:
                    page = r.read().decode()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5) as r:
                    listing = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        assert page is not None, "JupyterLab did not answer within 90 s"
        assert "JupyterLab" in page
        names = {item["name"] for item in listing["content"]}
        assert "01-what-is-kl.ipynb" in names
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert "Traceback" not in out, out[-3000:]
