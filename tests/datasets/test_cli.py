"""The ``triptych`` command: every action, exit codes, --json, --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from triptych.cli import main
from triptych.datasets import list_datasets
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
    done = subprocess.run([sys.executable, "-m", "triptych", "datasets", "list"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "mnist" in done.stdout and "missing" in done.stdout


def python(code: str, *, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, **kwargs)


def test_commands_without_tensors_do_not_import_torch(tmp_path):
    code = (
        "import contextlib, io, sys\n"
        "from triptych.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    for argv in (['datasets', 'list'], ['datasets', 'info', 'mnist'],\n"
        "                 ['datasets', 'path', 'mnist'], ['datasets', 'rm', 'mnist'],\n"
        "                 ['datasets', 'list', '--json']):\n"
        "        assert main(argv) == 0, argv\n"
        "    for argv in ([], ['datasets'], ['datasets', 'list']):\n"
        "        assert main([*argv, '--help']) == 0\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    done = python(code, env={"TRIPTYCH_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_closed_pipe_is_not_a_traceback(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already exited: every write fails
    try:
        done = subprocess.run([sys.executable, "-m", "triptych", "datasets", "list", "--json"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
                              env={**os.environ, "TRIPTYCH_HOME": str(tmp_path)})
    finally:
        os.close(write_end)
    assert done.returncode == 0
    assert done.stderr == ""


def test_bogus_device_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setenv("TRIPTYCH_DEVICE", "bogus")
    code, out, err = run(capsys, "info")
    assert code == 1
    assert "TRIPTYCH_DEVICE='bogus' is not a device name; use e.g. cpu" in err
    assert "Traceback" not in err and "torch" in out


def test_forced_device_that_is_missing_is_said(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("TRIPTYCH_DEVICE", "cuda")
    code, out, _ = run(capsys, "info", "--json")
    assert code == 0
    assert json.loads(out)["default_device"] == (
        "cuda (set by TRIPTYCH_DEVICE, but CUDA is not available on this machine)")


def test_info_never_calls_an_empty_domain_ok(capsys):
    from triptych.domains import DOMAINS, domain_status

    code, out, _ = run(capsys, "info", "--json")
    domains = json.loads(out)["domains"]
    assert list(domains) == list(DOMAINS)
    for domain, status in domains.items():
        assert status.startswith(domain_status(domain))


def test_domain_status_from_the_files(tmp_path):
    from triptych.domains import _status

    folder = tmp_path / "audio"
    (folder / "datasets").mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "datasets" / "__init__.py").write_text("")
    assert _status(folder, "json") == "empty (not built yet)"  # catalog entries only
    (folder / "io.py").write_text("")
    assert _status(folder, "no_such_module_for_tests") == "not installed"
    (folder / "ops.py").write_text("")
    assert _status(folder, "no_such_module_for_tests") == "kernels only"
    assert _status(folder, "json") == "ok"


def test_unknown_option_shows_the_subcommand_usage(capsys):
    code, _, err = run(capsys, "datasets", "list", "--jsn")
    assert code == 2
    assert err.startswith("usage: triptych datasets list")
    assert "unrecognized arguments: --jsn" in err


def test_rm_after_a_failed_download_says_nothing_was_downloaded(capsys, toy, tmp_path):
    toy["server"].root.joinpath("files", "train.tar.gz").unlink()
    assert run(capsys, "datasets", "download", toy["name"], "--root", str(tmp_path),
               "--split", "train", "--no-progress")[0] == 1
    code, out, _ = run(capsys, "datasets", "rm", toy["name"], "--root", str(tmp_path))
    assert code == 0
    assert "nothing was downloaded" in out and "0 B" not in out
    assert not (tmp_path / toy["name"]).exists()


def test_info_shows_the_bound_of_a_file_without_a_published_size(capsys):
    code, out, _ = run(capsys, "datasets", "info", "wikitext2")
    assert code == 0 and "wikitext-2-v1.zip  size not published, at most 16.0 MiB" in out
