"""Vocab, build_vocab_from_iterator and the text transforms (torchtext's documented behaviour)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
import torch

from triptych.text.transforms import (
    AddToken,
    LabelToIndex,
    PadTransform,
    Sequential,
    StrToIntTransform,
    ToTensor,
    Truncate,
    VocabTransform,
)
from triptych.text.vocab import TokenNotFoundError, Vocab, build_vocab_from_iterator, vocab


def random_corpus(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(60)]
    return [[rng.choice(words[: rng.randrange(1, 60)]) for _ in range(rng.randrange(0, 20))] for _ in range(200)]


def test_build_vocab_orders_by_frequency_then_alphabet():
    seed = random.randrange(2**32)
    corpus = random_corpus(seed)
    counts = Counter(t for line in corpus for t in line)
    v = build_vocab_from_iterator(iter(corpus), specials=["<unk>", "<pad>"])
    itos = v.get_itos()
    assert itos[:2] == ["<unk>", "<pad>"]
    assert sorted(itos[2:]) == sorted(counts), seed
    keys = [(-counts[t], t) for t in itos[2:]]
    assert keys == sorted(keys), seed
    assert v.get_stoi() == {t: i for i, t in enumerate(itos)}


def test_build_vocab_min_freq_max_tokens_specials_last():
    corpus = [["a", "a", "a", "b", "b", "c", "<unk>"], ["d", "<unk>"]]
    assert build_vocab_from_iterator(corpus, min_freq=2).get_itos() == ["a", "<unk>", "b"]
    last = build_vocab_from_iterator(corpus, specials=["<unk>"], special_first=False)
    assert last.get_itos() == ["a", "b", "c", "d", "<unk>"]
    # max_tokens counts the specials; the cut happens before specials are set aside (torchtext).
    assert build_vocab_from_iterator(corpus, specials=["<unk>"], max_tokens=3).get_itos() == ["<unk>", "a"]
    with pytest.raises(ValueError, match="max_tokens"):
        build_vocab_from_iterator(corpus, specials=["x", "y"], max_tokens=2)
    with pytest.raises(TypeError, match="lists of tokens"):
        build_vocab_from_iterator(["a string"])
    assert vocab({"x": 3, "y": 1}, min_freq=2, specials=["<s>"]).get_itos() == ["<s>", "x"]


def test_lookups_and_default_index():
    v = Vocab(["<unk>", "a", "b"])
    assert len(v) == 3 and "a" in v and "z" not in v
    assert v["b"] == 2 and v(["a", "b"]) == [1, 2]
    with pytest.raises(TokenNotFoundError, match="'z' is not in the vocabulary"):
        v["z"]
    with pytest.raises(RuntimeError):  # torchtext raised RuntimeError; ours is also a KeyError
        v.lookup_indices(["a", "z"])
    assert v.get_default_index() is None
    v.set_default_index(0)
    assert v["z"] == 0 and v.lookup_indices(["z", "b"]) == [0, 2]
    assert v.lookup_tokens([2, 0]) == ["b", "<unk>"] and v.lookup_token(1) == "a"
    with pytest.raises(KeyError, match="index 3 is out of range"):
        v.lookup_token(3)


def test_insert_and_append_token():
    v = Vocab(["a", "b", "c"], default_index=0)
    v.insert_token("x", 1)
    assert v.get_itos() == ["a", "x", "b", "c"] and v["c"] == 3 and v["x"] == 1
    v.append_token("y")
    assert v["y"] == 4 and v.get_default_index() == 0
    v.insert_token("end", len(v))
    assert v.lookup_token(5) == "end"
    with pytest.raises(ValueError, match="already in the vocabulary"):
        v.append_token("a")
    with pytest.raises(ValueError, match="index must be in"):
        v.insert_token("q", 99)
    with pytest.raises(ValueError, match="already in the vocabulary"):
        Vocab(["a", "a"])


def test_save_load_roundtrip(tmp_path):
    tokens = ["<unk>", "héllo", "日本", "a b", " ", "#"]
    v = Vocab(tokens)
    v.save(tmp_path / "vocab.txt")
    assert (tmp_path / "vocab.txt").read_text(encoding="utf-8") == "\n".join(tokens) + "\n"
    loaded = Vocab.load(tmp_path / "vocab.txt", default_index=0)
    assert loaded.get_itos() == tokens and loaded["missing"] == 0
    with pytest.raises(ValueError, match="line break"):
        Vocab(["a\nb"]).save(tmp_path / "bad.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.txt"]
    (tmp_path / "dup.txt").write_text("a\nb\na\n", encoding="utf-8")
    with pytest.raises(ValueError, match="dup.txt:3"):
        Vocab.load(tmp_path / "dup.txt")


def test_vocab_transform_truncate_addtoken():
    v = Vocab(["<unk>", "a", "b"], default_index=0)
    assert VocabTransform(v)(["a", "z", "b"]) == [1, 0, 2]
    assert VocabTransform(v)([["a"], ["b", "b"]]) == [[1], [2, 2]]
    assert Truncate(2)([1, 2, 3]) == [1, 2] and Truncate(2)([[1, 2, 3], [4]]) == [[1, 2], [4]]
    assert AddToken(7, begin=True)([1, 2]) == [7, 1, 2]
    assert AddToken("</s>", begin=False)([["a"], []]) == [["a", "</s>"], ["</s>"]]
    with pytest.raises(TypeError, match="VocabTransform expects a list"):
        VocabTransform(v)("a b")
    with pytest.raises(ValueError, match="max_seq_len"):
        Truncate(-1)


def test_to_tensor_and_pad_transform():
    assert torch.equal(ToTensor()([1, 2, 3]), torch.tensor([1, 2, 3]))
    batch = ToTensor(padding_value=-1, dtype=torch.int32)([[1, 2, 3], [4]])
    assert batch.dtype == torch.int32 and batch.tolist() == [[1, 2, 3], [4, -1, -1]]
    with pytest.raises(ValueError, match="padding_value"):
        ToTensor()([[1, 2], [3]])
    x = torch.tensor([[1, 2], [3, 4]])
    assert PadTransform(4, 0)(x).tolist() == [[1, 2, 0, 0], [3, 4, 0, 0]]
    assert PadTransform(1, 0)(x) is x


def test_label_to_index_and_str_to_int(tmp_path):
    t = LabelToIndex(["neg", "pos"])
    assert t("pos") == 1 and t(["pos", "neg"]) == [1, 0]
    (tmp_path / "labels.txt").write_text("world\nsports\nbusiness\n", encoding="utf-8")
    sorted_labels = LabelToIndex(label_path=tmp_path / "labels.txt", sort_names=True)
    assert sorted_labels.label_names == ["business", "sports", "world"] and sorted_labels("world") == 2
    with pytest.raises(ValueError, match="'tech' is not one of"):
        t("tech")
    with pytest.raises(ValueError, match="exactly one"):
        LabelToIndex()
    assert StrToIntTransform()(["1", "22"]) == [1, 22]
    assert StrToIntTransform()([["1"], ["2", "3"]]) == [[1], [2, 3]]


def test_sequential_runs_in_order():
    v = Vocab(["<pad>", "<unk>", "<s>", "a", "b"], default_index=1)
    pipeline = Sequential(lambda lines: [s.split() for s in lines], VocabTransform(v), Truncate(2),
                          AddToken(2), ToTensor(padding_value=0))
    assert pipeline(["a b a", "b"]).tolist() == [[2, 3, 4], [2, 4, 0]]


def test_numericalize_equals_the_python_idiom():
    from .test_bpe import TORTURE, random_texts

    seed = random.randrange(2**32)
    texts = random_texts(random.Random(seed), 300) + TORTURE + ["a\x1cb\x1dc\x1e d\x1f", "x\u2003y\x85z"]
    texts += [" ".join(line) for line in random_corpus(seed)] * 30  # > 128 KiB: 2+ threads run
    v = build_vocab_from_iterator(t.split() for t in texts[::2])
    v.insert_token("<unk>", 0)
    v.set_default_index(0)
    stoi = v.get_stoi()
    expected = [[stoi.get(w, 0) for w in t.split()] for t in texts]
    assert sum(len(t.encode()) for t in texts) > 2 * 65536
    assert v.numericalize(texts, num_threads=3) == expected, seed
    v.append_token("brand-new")
    assert v.numericalize(["brand-new w1"]) == [[len(v) - 1, v["w1"]]]
    v.set_default_index(None)
    with pytest.raises(TokenNotFoundError, match="'never-seen'"):
        v.numericalize(["w1 never-seen"])
