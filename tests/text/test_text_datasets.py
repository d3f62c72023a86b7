"""The text datasets from tiny files in each real layout, served by the loopback server:
parsing, splits, lengths, clear errors, and the iterable datasets' sharding over DataLoader
workers x ranks."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from types import SimpleNamespace

import pytest
from loopback import tar_gz, zip_archive  # tests/conftest.py keeps tests/ on sys.path

from triptych.datasets import Resource, list_datasets
from triptych.text.datasets import (
    AG_NEWS,
    IMDB,
    SST2,
    DBpedia,
    Multi30k,
    PennTreebank,
    WikiText2,
    WikiText103,
    YelpReviewPolarity,
)


def served(cls, server, files):
    """``cls`` reading its files from the loopback server instead of the real URLs.

    ``files``: ``{filename: bytes}`` (one archive for every split) or
    ``{split: {filename: bytes}}`` (files per split).
    """
    def resource(filename, data):
        return Resource(filename, [server.add_file(filename, data)],
                        hashlib.sha256(data).hexdigest(), size=len(data))

    if all(isinstance(v, bytes) for v in files.values()):
        resources = [resource(name, data) for name, data in files.items()]
    else:
        resources = {split: [resource(n, d) for n, d in per.items()] for split, per in files.items()}
    return type(cls.__name__, (cls,), {"resources": resources})


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


# -- classification ---------------------------------------------------------------------------

def test_ag_news_reads_the_csv_layout(loopback_server, tmp_path):
    train = [["3", "Wall St. Bears", "Short-sellers, \"dwindling\" band"], ["1", "Summit, ends", "Leaders\\meet"]]
    archive = tar_gz({"ag_news_csv/train.csv": csv_bytes(train), "ag_news_csv/test.csv": csv_bytes(train[:1]),
                      "ag_news_csv/classes.txt": b"World\nSports\nBusiness\nSci/Tech\n"})
    cls = served(AG_NEWS, loopback_server, {"ag_news_csv.tar.gz": archive})
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
    cls = served(AG_NEWS, loopback_server, {"ag_news_csv.tar.gz": archive})
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
    cls = served(IMDB, loopback_server, {"aclImdb_v1.tar.gz": tar_gz(files)})
    ds = cls(tmp_path, download=True)
    assert [ds[i] for i in range(len(ds))] == [("Dull.", 0), ("Great film!", 1), ("Loved it — 😀", 1)]
    test = cls(tmp_path, split="test", transform=str.upper)
    assert [test[i] for i in range(2)] == [("AWFUL", 0), ("SUPERB", 1)]


SST2_FILES = {
    "SST-2/train.tsv": b"sentence\tlabel\nhide new secretions from the parental units \t0\n"
                       b'"the best" film , ever \t1\ncontains no wit , only labored gags \t0\n',
    "SST-2/dev.tsv": b"sentence\tlabel\nit 's a charming and often affecting journey . \t1\n",
    "SST-2/test.tsv": b"index\tsentence\n0\tuneasy mishmash of styles and genres .\n"
                      b"1\tthis film 's relationship to actual tension is the same as what "
                      b"christmas-tree flocking in a spray can is to actual snow : a poor -- "
                      b"if durable -- imitation .\n",
    "SST-2/original/README.txt": b"not read",
}


def test_sst2_reads_the_glue_zip(loopback_server, tmp_path):
    cls = served(SST2, loopback_server, {"SST-2.zip": zip_archive(SST2_FILES)})
    train = cls(tmp_path, download=True)
    assert len(train) == 3
    assert train[0] == ("hide new secretions from the parental units ", 0)
    assert train[1] == ('"the best" film , ever ', 1)  # no CSV quoting in GLUE's TSV
    dev = cls(tmp_path, split="dev", target_transform=lambda y: SST2.classes[y])
    assert list(dev) == [("it 's a charming and often affecting journey . ", "positive")]
    test = cls(tmp_path, split="test")
    assert len(test) == 2 and test[0] == ("uneasy mishmash of styles and genres .", -1)
    with pytest.raises(ValueError, match="split must be one of 'train', 'dev', 'test'"):
        cls(tmp_path, split="valid")


def test_sst2_bad_label_is_a_clear_error(loopback_server, tmp_path):
    files = {**SST2_FILES, "SST-2/train.tsv": b"sentence\tlabel\ngood \t2\n"}
    cls = served(SST2, loopback_server, {"SST-2.zip": zip_archive(files)})
    with pytest.raises(ValueError, match=r"train.tsv:2: expected 'sentence<TAB>0\|1'"):
        cls(tmp_path, download=True)


# Rows as the published files have them: Yelp quotes both fields and escapes line breaks as
# \n; DBpedia leaves the class unquoted and starts the abstract with a space.
YELP_TRAIN = (b'"1","Unfortunately, the frustration of being Dr. Goldberg\'s patient is a repeat."\n'
              b'"2","Been going for over 10 years.\\nI think I was one of his ""1st"" patients."\n'
              b'"2","Great, ""cheap"" tacos."\n')
DBPEDIA_TRAIN = (b'1,"E. D. Abbott Ltd"," Abbott of Farnham E D Abbott Limited was a British '
                 b'coachbuilding business."\n'
                 b'14,"Ruins of ""Rome"""," A book, about ruins."\n')


def test_yelp_review_polarity_streams_the_csv(loopback_server, tmp_path):
    archive = tar_gz({"yelp_review_polarity_csv/train.csv": YELP_TRAIN,
                      "yelp_review_polarity_csv/test.csv": YELP_TRAIN.splitlines(True)[0],
                      "yelp_review_polarity_csv/readme.txt": b"..."})
    cls = served(YelpReviewPolarity, loopback_server, {"yelp_review_polarity_csv.tgz": archive})
    ds = cls(tmp_path, download=True)
    assert len(ds) == 3
    assert list(ds) == [
        ("Unfortunately, the frustration of being Dr. Goldberg's patient is a repeat.", 0),
        ('Been going for over 10 years.\\nI think I was one of his "1st" patients.', 1),
        ('Great, "cheap" tacos.', 1),
    ]
    assert len(cls(tmp_path, split="test")) == 1


def test_dbpedia_streams_the_csv(loopback_server, tmp_path):
    archive = tar_gz({"dbpedia_csv/train.csv": DBPEDIA_TRAIN, "dbpedia_csv/test.csv": DBPEDIA_TRAIN,
                      "dbpedia_csv/classes.txt": "\n".join(DBpedia.classes).encode()})
    cls = served(DBpedia, loopback_server, {"dbpedia_csv.tgz": archive})
    ds = cls(tmp_path, download=True, target_transform=lambda y: DBpedia.classes[y])
    assert list(ds) == [
        ("E. D. Abbott Ltd  Abbott of Farnham E D Abbott Limited was a British coachbuilding "
         "business.", "Company"),
        ('Ruins of "Rome"  A book, about ruins.', "WrittenWork"),
    ]


def test_streamed_csv_bad_row_is_found_when_opened(loopback_server, tmp_path):
    bad = DBPEDIA_TRAIN + b'15,"No such class","text"\n'
    archive = tar_gz({"dbpedia_csv/train.csv": bad, "dbpedia_csv/test.csv": b""})
    cls = served(DBpedia, loopback_server, {"dbpedia_csv.tgz": archive})
    with pytest.raises(ValueError, match=r"train.csv:3: expected 'class \(1-14\)'"):
        cls(tmp_path, download=True)


# -- language modelling and translation -------------------------------------------------------

WIKI_TRAIN = (" \n = Valkyria Chronicles III = \n \n Senjō no Valkyria 3 : <unk> Chronicles "
              "( Japanese : 戦場のヴァルキュリア3 ) \n \n = = Gameplay = = \n")


@pytest.mark.parametrize("cls, folder, archive", [
    (WikiText2, "wikitext-2", "wikitext-2-v1.zip"),
    (WikiText103, "wikitext-103", "wikitext-103-v1.zip"),
])
def test_wikitext_reads_token_files(loopback_server, tmp_path, cls, folder, archive):
    files = {f"{folder}/wiki.train.tokens": WIKI_TRAIN.encode(),
             f"{folder}/wiki.valid.tokens": b" \n = Valid \r = \n",  # a stray CR is text
             f"{folder}/wiki.test.tokens": b" = Test = \n"}
    served_cls = served(cls, loopback_server, {archive: zip_archive(files)})
    train = served_cls(tmp_path, download=True)
    assert len(train) == 6
    assert list(train) == WIKI_TRAIN.splitlines(keepends=True)  # blank lines and "\n" kept
    assert list(served_cls(tmp_path, split="valid")) == [" \n", " = Valid \r = \n"]
    assert list(served_cls(tmp_path, split="test", transform=str.split)) == [["=", "Test", "="]]
    with pytest.raises(ValueError, match="split must be one of"):
        served_cls(tmp_path, split="dev")


def test_penn_treebank_reads_one_file_per_split(loopback_server, tmp_path):
    train = b" aer banknote berlitz calloway \n pierre <unk> N years old will join the board \n"
    cls = served(PennTreebank, loopback_server, {
        "train": {"ptb.train.txt": train},
        "valid": {"ptb.valid.txt": b" consumers may want to move \n"},
        "test": {"ptb.test.txt": b" no it was n't black monday \n but \n"},
    })
    ds = cls(tmp_path, download=True)
    assert [ds[i] for i in range(len(ds))] == [
        "aer banknote berlitz calloway", "pierre <unk> N years old will join the board"]
    assert sorted(p.name for p in (tmp_path / "penn_treebank").glob("*.txt")) == ["ptb.train.txt"]
    assert cls(tmp_path, split="valid", download=True)[0] == "consumers may want to move"
    assert len(cls(tmp_path, split="test", download=True)) == 2


MULTI30K = {
    "train": {"training.tar.gz": tar_gz({
        "train.de": "Zwei junge Männer sind im Freien.\nEin Mann schläft.\n".encode(),
        "train.en": b"Two young men are outside.\nA man sleeps.\n"})},
    "valid": {"validation.tar.gz": tar_gz({"val.de": b"Eine Gruppe.\n", "val.en": b"A group.\n"})},
    "test": {"mmt16_task1_test.tar.gz": tar_gz({"test.de": b"Ein Hund.\n", "test.en": b"A dog.\n"})},
}


def test_multi30k_pairs_the_language_files(loopback_server, tmp_path):
    cls = served(Multi30k, loopback_server, MULTI30K)
    ds = cls(tmp_path, download=True)
    assert list(ds) == [("Zwei junge Männer sind im Freien.", "Two young men are outside."),
                        ("Ein Mann schläft.", "A man sleeps.")]
    en_de = cls(tmp_path, split="valid", language_pair=("en", "de"), download=True)
    assert list(en_de) == [("A group.", "Eine Gruppe.")]
    assert cls(tmp_path, split="test", download=True, target_transform=str.upper)[0] == (
        "Ein Hund.", "A DOG.")
    for bad in (("de", "fr"), ("de",), "de"):
        with pytest.raises(ValueError, match="language_pair must be"):
            cls(tmp_path, language_pair=bad)


def test_multi30k_unpaired_files_are_a_clear_error(loopback_server, tmp_path):
    files = {**MULTI30K, "train": {"training.tar.gz": tar_gz({
        "train.de": b"Eins.\nZwei.\n", "train.en": b"One.\n"})}}
    cls = served(Multi30k, loopback_server, files)
    with pytest.raises(ValueError, match="do not pair up"):
        cls(tmp_path, download=True)


def test_every_text_dataset_is_in_the_catalog():
    names = set(list_datasets("text"))
    for cls in (AG_NEWS, IMDB, SST2, YelpReviewPolarity, DBpedia, WikiText2, WikiText103,
                PennTreebank, Multi30k):
        assert cls.name in names, cls.__name__


# -- sharding of the iterable datasets --------------------------------------------------------

def _yelp(server, root, rows: int):
    data = csv_bytes([[str(1 + i % 2), f"review {i}"] for i in range(rows)])
    archive = tar_gz({"yelp_review_polarity_csv/train.csv": data,
                      "yelp_review_polarity_csv/test.csv": b""})
    return served(YelpReviewPolarity, server, {"yelp_review_polarity_csv.tgz": archive})(
        root, download=True)


def _dbpedia(server, root, rows: int):
    data = csv_bytes([[str(1 + i % 14), f"title {i}", f"abstract {i}"] for i in range(rows)])
    archive = tar_gz({"dbpedia_csv/train.csv": data, "dbpedia_csv/test.csv": b""})
    return served(DBpedia, server, {"dbpedia_csv.tgz": archive})(root, download=True)


def _wikitext103(server, root, rows: int):
    lines = "".join(f" line {i} \n" for i in range(rows)).encode()
    archive = zip_archive({"wikitext-103/wiki.train.tokens": lines,
                           "wikitext-103/wiki.valid.tokens": b"", "wikitext-103/wiki.test.tokens": b""})
    return served(WikiText103, server, {"wikitext-103-v1.zip": archive})(root, download=True)


@pytest.mark.parametrize("make", [_yelp, _dbpedia, _wikitext103])
@pytest.mark.parametrize("rows", [11, 2])
def test_sharding_reads_each_row_once_over_workers_and_ranks(loopback_server, tmp_path,
                                                             monkeypatch, make, rows):
    from triptych.text.datasets import _sharded

    ds = make(loopback_server, tmp_path, rows)
    expected = list(ds)  # one process, no workers: every row in file order
    assert len(expected) == len(ds) == rows and len(set(expected)) == rows
    for world in (1, 2, 3):
        for workers in (0, 1, 2, 3):
            seen = Counter()
            per_process = []
            for rank in range(world):
                monkeypatch.setenv("RANK", str(rank))
                monkeypatch.setenv("WORLD_SIZE", str(world))
                for worker in range(max(workers, 1)):
                    info = SimpleNamespace(id=worker, num_workers=workers) if workers else None
                    monkeypatch.setattr(_sharded, "get_worker_info", lambda info=info: info)
                    got = list(ds)
                    per_process.append(len(got))
                    seen.update(got)
            assert seen == Counter(expected), (world, workers)
            assert max(per_process) - min(per_process) <= 1, (world, workers, per_process)


def test_sharding_with_real_dataloader_workers(loopback_server, tmp_path, monkeypatch):
    from torch.utils.data import DataLoader

    ds = _yelp(loopback_server, tmp_path, 9)
    texts = []
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        loader = DataLoader(ds, batch_size=2, num_workers=2, collate_fn=list)
        texts += [text for batch in loader for text, _ in batch]
    assert sorted(texts) == sorted(f"review {i}" for i in range(9))
