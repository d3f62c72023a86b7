"""WordPieceTokenizer against Hugging Face's BertWordPieceTokenizer; RegexTokenizer, get_tokenizer."""

from __future__ import annotations

import os
import random
import unicodedata

import pytest
import torch

from triptych.text.tokenizers import RegexTokenizer, WordPieceTokenizer, get_tokenizer

from .test_bpe import TORTURE, random_texts, stdlib_corpus

hf = pytest.importorskip("tokenizers")

EXTRA = [
    "\ue000 private \u0378 unassigned",
    "ǅungla ΣΑΣ σας İstanbul Ölçü",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
    "\uf900\U0002f800x 中文字符",
    "a\u00adb soft hyphen\u200d",
    "x" * 150,
    "é" * 101,
    "[UNK] [CLS] unaffable",
    "$5 + 3 = <8> ^_^ `q` |p| ~",
    "vertical\x0btab\x0cfeed\x85nel\x1cfs",
]


def old_unicode_only(texts: list[str]) -> list[str]:
    """Keep characters whose category is the same in Unicode 3.2 and in Python's tables.

    Hugging Face's BERT normalizer classifies marks, punctuation and controls with tables from
    an old Unicode version; characters assigned or recategorised since then differ."""
    return ["".join(c for c in t if unicodedata.ucd_3_2_0.category(c) == unicodedata.category(c)) for t in texts]


@pytest.fixture(scope="module", params=[True, False], ids=["uncased", "cased"])
def pair(request, tmp_path_factory):
    lowercase = request.param
    ref = hf.BertWordPieceTokenizer(lowercase=lowercase)
    ref.train_from_iterator(stdlib_corpus() + TORTURE * 3, vocab_size=3000, show_progress=False)
    folder = tmp_path_factory.mktemp("wordpiece")
    (path,) = ref.save_model(str(folder))
    return hf.BertWordPieceTokenizer(path, lowercase=lowercase), WordPieceTokenizer.from_vocab(path, lowercase=lowercase)


def hf_ids(ref, texts):
    return [e.ids for e in ref.encode_batch(texts, add_special_tokens=False)]


def test_ids_equal_hf_on_corpus(pair):
    ref, ours = pair
    corpus = stdlib_corpus()
    assert ours.encode_batch(corpus) == hf_ids(ref, corpus)


@pytest.mark.parametrize("text", TORTURE + EXTRA, ids=range(len(TORTURE + EXTRA)))
def test_ids_equal_hf_on_torture_set(pair, text):
    ref, ours = pair
    assert ours.encode(text) == ref.encode(text, add_special_tokens=False).ids


def test_ids_equal_hf_on_random_unicode(pair):
    ref, ours = pair
    seed = int.from_bytes(os.urandom(4), "little")
    texts = old_unicode_only(random_texts(random.Random(seed), 400))
    for text, expected in zip(texts, hf_ids(ref, texts)):
        assert ours.encode(text) == expected, f"seed {seed}: {text!r}"


def test_batch_threads_padded_and_bytes(pair):
    ref, ours = pair
    texts = stdlib_corpus() * 2
    single = [ours.encode(t) for t in texts]
    assert ours.encode_batch(texts, num_threads=3) == single
    assert ours.encode_batch([t.encode() for t in texts[:200]]) == single[:200]
    ids, lengths = ours.encode_batch_padded(texts[:20], padding_value=-5, max_length=7)
    assert ids.dtype == torch.int64 and ids.shape[0] == 20
    for row, n, expected in zip(ids.tolist(), lengths.tolist(), single[:20]):
        assert n == min(7, len(expected)) and row[:n] == expected[:n] and set(row[n:]) <= {-5}
    special = ["[CLS] Hello [SEP]", "plain", b"x[MASK]y"]
    ids, lengths = ours.encode_batch_padded(special, padding_value=-1)
    expected = [ref.encode(t if isinstance(t, str) else t.decode(), add_special_tokens=False).ids for t in special]
    assert lengths.tolist() == [len(e) for e in expected]
    assert [row[:n] for row, n in zip(ids.tolist(), lengths.tolist())] == expected


def test_invalid_utf8_is_a_clear_error(pair):
    _, ours = pair
    with pytest.raises(ValueError, match="not valid UTF-8"):
        ours.encode(b"caf\xe9")
    with pytest.raises(ValueError, match=r"texts\[1\] is not valid UTF-8"):
        ours.encode_batch([b"ok", b"caf\xe9"])
    with pytest.raises(TypeError, match=r"texts\[0\] must be str or bytes"):
        ours.encode_batch([None])


def test_tokenize_and_decode():
    vocab = {t: i for i, t in enumerate(["[UNK]", "un", "##aff", "##able", "!", "hello"])}
    tok = WordPieceTokenizer(vocab)
    assert tok.tokenize("Unaffable! hello") == ["un", "##aff", "##able", "!", "hello"]
    assert tok.decode(tok.encode("Unaffable! hello")) == "unaffable ! hello"
    assert tok.encode("xyz") == [0]
    with pytest.raises(ValueError, match="unk_token"):
        WordPieceTokenizer({"a": 0})


def test_regex_tokenizer_applies_patterns_in_order():
    tok = RegexTokenizer([(r"\d+", " <num> "), (r"<num>", "N")])
    assert tok("abc 123def") == ["abc", "N", "def"]
    with pytest.raises(ValueError, match=r"patterns\[0\]"):
        RegexTokenizer(["no replacement"])


def test_basic_english_matches_torchtext_examples():
    tok = get_tokenizer("basic_english")
    # Examples from torchtext's documentation and its test_basic_english_normalize.
    assert tok("You can now install TorchText using pip!") == [
        "you", "can", "now", "install", "torchtext", "using", "pip", "!"]
    assert tok("'\".<br />,()!?;:   Basic English Normalization for a Line of Text   '\".<br />,()!?;:") == [
        "'", ".", ",", "(", ")", "!", "?", "basic", "english", "normalization", "for", "a", "line", "of",
        "text", "'", ".", ",", "(", ")", "!", "?"]
    assert get_tokenizer(None)(" a  b ") == ["a", "b"]
    assert get_tokenizer(str.upper) is str.upper
    with pytest.raises(ValueError, match="spacy"):
        get_tokenizer("spacy")
    with pytest.raises(ValueError, match="language"):
        get_tokenizer("basic_english", language="de")
