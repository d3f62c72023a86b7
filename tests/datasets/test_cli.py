"""The ``triptych`` command: every action, exit codes, --json, --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from triptych.datasets import list_datasets
from triptych.datasets.cli import main
from triptych.info import collect, format_info


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_and_domain_filter(capsys):
    code, out, _ = run(capsys, "datasets", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == list_datasets()
    code, out, _ = run(capsys, "datasets", "list", "--domain", "audio", "--json")
    assert {r["domain"] for r in json.loads(out)} == {"audio"}
    code, out, _ = run(capsys, "datasets", "list")
    assert code == 0 and "cifar10" in out and "librispeech" in out


def test_info_shows_urls_and_checksums(capsys):
    code, out, _ = run(capsys, "datasets", "info", "mnist")
    assert code == 0
    assert "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609" in out
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in out
    code, out, _ = run(capsys, "datasets", "info", "mnist", "--json")
    assert json.loads(out)["splits"]["test"][1]["filename"] == "t10k-labels-idx1-ubyte.gz"


def test_download_verify_path_rm(capsys, toy, tmp_path):
    root = str(tmp_path)
    name = toy["name"]
    code, out, _ = run(capsys, "datasets", "download", name, "--root", root, "--json")
    assert code == 0
    [result] = json.loads(out)
    assert result == {"name": name, "status": "ok", "path": str(tmp_path / name)}
    assert (tmp_path / name / "train" / "toy" / "labels.txt").read_bytes() == b"0\n1\n"

    code, out, _ = run(capsys, "datasets", "verify", name, "--root", root, "--json")
    assert code == 0 and set(json.loads(out)[name].values()) == {"ok"}

    (tmp_path / name / "notes.csv").write_bytes(b"tampered")
    code, out, err = run(capsys, "datasets", "verify", name, "--root", root)
    assert code == 1
    assert f"{name}/notes.csv: corrupt" in out
    assert f"triptych datasets download {name} --root {root}" in err

    code, out, _ = run(capsys, "datasets", "path", name, "--root", root)
    assert code == 0 and out.strip() == str(tmp_path / name)

    code, out, _ = run(capsys, "datasets", "rm", name, "--root", root, "--json")
    assert code == 0 and json.loads(out)[0]["removed"] is True
    assert not (tmp_path / name).exists()


def test_download_split_selection(capsys, toy, tmp_path):
    code, _, _ = run(capsys, "datasets", "download", toy["name"], "--root", str(tmp_path),
                     "--split", "test", "--no-progress")
    assert code == 0
    assert (tmp_path / toy["name"] / "test-images.gz").exists()
    assert not (tmp_path / toy["name"] / "train.tar.gz").exists()
    code, _, err = run(capsys, "datasets", "download", toy["name"], "--split", "valid")
    assert code == 2 and "no split 'valid'" in err


def test_failed_download_exits_1_and_says_what_to_try(capsys, toy, tmp_path):
    toy["server"].root.joinpath("files", "notes.csv").unlink()  # the server lost a file
    code, _, err = run(capsys, "datasets", "download", toy["name"], "--root", str(tmp_path),
                       "--no-progress")
    assert code == 1
    assert "HTTP 404" in err and "Try:" in err


def test_offline_download_exits_1_with_the_command(capsys, toy, tmp_path, monkeypatch):
    monkeypatch.setenv("TRIPTYCH_OFFLINE", "1")
    code, _, err = run(capsys, "datasets", "download", toy["name"], "--root", str(tmp_path))
    assert code == 1
    assert f"triptych datasets download {toy['name']}" in err


def test_usage_errors_exit_2(capsys):
    assert run(capsys, "datasets", "info", "no-such-dataset")[0] == 2
    assert run(capsys, "datasets", "download")[0] == 2
    assert run(capsys, "datasets", "list", "--domain", "video")[0] == 2
    assert run(capsys, "datasets")[0] == 2
    assert run(capsys)[0] == 2


@pytest.mark.parametrize("argv", [[], ["info"], ["datasets"], ["datasets", "list"],
                                  ["datasets", "info"], ["datasets", "download"],
                                  ["datasets", "verify"], ["datasets", "path"], ["datasets", "rm"]])
def test_help_on_every_level(capsys, argv):
    code, out, _ = run(capsys, *argv, "--help")
    assert code == 0 and out.startswith("usage: triptych")


def test_info_matches_python_m_triptych_info(capsys):
    code, out, _ = run(capsys, "info")
    assert code == 0 and out.strip() == format_info(collect())
    code, out, _ = run(capsys, "info", "--json")
    assert json.loads(out) == json.loads(json.dumps(collect()))


def test_console_script_in_a_fresh_process(tmp_path):
    """What a fresh clone runs: the module entry point, with an empty cache."""
    env = {**os.environ, "TRIPTYCH_HOME": str(tmp_path)}
    env.pop("TRIPTYCH_OFFLINE", None)
    done = subprocess.run([sys.executable, "-m", "triptych.datasets.cli", "datasets", "list"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "mnist" in done.stdout and "missing" in done.stdout
