"""AG_NEWS and IMDB from tiny archives in the real layouts, served by the loopback server."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
from loopback import tar_gz  # tests/conftest.py keeps tests/ on sys.path

from triptych.datasets import Resource
from triptych.text.datasets import AG_NEWS, IMDB


def served(cls, server, filename: str, data: bytes):
    """``cls`` with its archive on the loopback server instead of the real URL."""
    url = server.add_file(filename, data)
    resource = Resource(filename, [url], hashlib.sha256(data).hexdigest(), size=len(data))
    return type(cls.__name__, (cls,), {"resources": [resource]})


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def test_ag_news_reads_the_csv_layout(loopback_server, tmp_path):
    train = [["3", "Wall St. Bears", "Short-sellers, \"dwindling\" band"], ["1", "Summit, ends", "Leaders\\meet"]]
    archive = tar_gz({"ag_news_csv/train.csv": csv_bytes(train), "ag_news_csv/test.csv": csv_bytes(train[:1]),
                      "ag_news_csv/classes.txt": b"World\nSports\nBusiness\nSci/Tech\n"})
    cls = served(AG_NEWS, loopback_server, "ag_news_csv.tar.gz", archive)
    with pytest.raises(RuntimeError, match="download=True"):
        cls(tmp_path)
    ds = cls(tmp_path, download=True, target_transform=lambda y: AG_NEWS.classes[y])
    assert len(ds) == 2
    assert ds[0] == ('Wall St. Bears Short-sellers, "dwindling" band', "Business")
    assert ds[1] == ("Summit, ends Leaders\\meet", "World")
    assert len(cls(tmp_path, split="test")) == 1
    with pytest.raises(ValueError, match="split must be one of"):
        cls(tmp_path, split="valid")


def test_ag_news_bad_row_is_a_clear_error(loopback_server, tmp_path):
    archive = tar_gz({"ag_news_csv/train.csv": csv_bytes([["9", "t", "d"]]), "ag_news_csv/test.csv": b""})
    cls = served(AG_NEWS, loopback_server, "ag_news_csv.tar.gz", archive)
    with pytest.raises(ValueError, match=r"train.csv:1: expected"):
        cls(tmp_path, download=True)


def test_imdb_reads_the_folder_layout(loopback_server, tmp_path):
    files = {
        "aclImdb/train/pos/0_9.txt": b"Great film!",
        "aclImdb/train/pos/1_8.txt": "Loved it — 😀".encode(),
        "aclImdb/train/neg/0_2.txt": b"Dull.",
        "aclImdb/train/unsup/0_0.txt": b"no label",
        "aclImdb/test/pos/0_10.txt": b"Superb",
        "aclImdb/test/neg/0_1.txt": b"Awful",
    }
    cls = served(IMDB, loopback_server, "aclImdb_v1.tar.gz", tar_gz(files))
    ds = cls(tmp_path, download=True)
    assert [ds[i] for i in range(len(ds))] == [("Dull.", 0), ("Great film!", 1), ("Loved it — 😀", 1)]
    test = cls(tmp_path, split="test", transform=str.upper)
    assert [test[i] for i in range(2)] == [("AWFUL", 0), ("SUPERB", 1)]
