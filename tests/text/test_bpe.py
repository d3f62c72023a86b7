"""BPETokenizer against the Hugging Face ``tokenizers`` library, id for id."""

from __future__ import annotations

import inspect
import json
import os
import random
import unicodedata

import pytest
import torch

from triptych.text.tokenizers import BPETokenizer, bytes_to_unicode

hf = pytest.importorskip("tokenizers")

TORTURE = [
    "",
    " ",
    "   ",
    "\n",
    "a\n\nb",
    "Hello  world",
    "don't you'll I'D 's 're 've 'm 'd 'x",
    "a'b''c'''",
    "😀👍🏽 family: 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵",
    "日本語のテキスト、中文字符。한국어",
    "e\u0301 a\u0308 x\u0300\u0300\u0300y combining",
    "עברית ومرحبا بالعالم \u202eRTL override\u202c",
    "\x00\x01\x1c\x1f\x7f\x85 control \x0b\x0c",
    "a" * 5000,
    "supercalifragilistic" * 40,
    "x " * 300,
    "\t \t  \u3000\u00a0\u2003 x",
    "12345 ١٢٣ ½ Ⅻ ²³",
    "tabs\tand\rCR\r\n",
    "  leading and trailing  ",
    "ﬁ ß ǅ İ ΣΑΣ",
    "\u2028\u2029\u200b\ufeff\u180e",
    "$%^&*()_+{}|:\"<>? ...!!",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🜁 \U0010fffd",
    "<|endoftext|>hi<|endoftext|>",
]


def stdlib_corpus() -> list[str]:
    """Docstring lines of a few standard-library modules: real prose, on every machine."""
    import argparse
    import collections
    import functools
    import itertools
    import pathlib
    import re
    import string
    import unittest

    lines = []
    for module in (argparse, collections, functools, itertools, pathlib, re, string, unittest):
        for _, obj in inspect.getmembers(module):
            doc = inspect.getdoc(obj)
            if doc:
                lines.extend(doc.splitlines())
    return lines


def random_texts(rng: random.Random, count: int) -> list[str]:
    """Strings of assigned code points from all over Unicode, spaces and controls mixed in.

    Unassigned code points are left out: Python's tables (which ours are generated from) and
    the Oniguruma tables inside ``tokenizers`` come from different Unicode versions."""
    pools = [(32, 127), (0, 32), (0x80, 0x3000), (0x3000, 0xA000), (0xAC00, 0xD7A4), (0x1F300, 0x1FAFF),
             (0x10000, 0x2FFFF), (0xE000, 0xF900)]
    out = []
    for _ in range(count):
        chars = []
        while len(chars) < rng.randrange(1, 80):
            lo, hi = rng.choice(pools + [(32, 33)] * 3)
            c = chr(rng.randrange(lo, hi))
            if unicodedata.category(c) not in ("Cn", "Cs"):
                chars.append(c)
        out.append("".join(chars))
    return out


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return stdlib_corpus()


@pytest.fixture(scope="module")
def trained(tmp_path_factory, corpus):
    """A 3000-token byte-level BPE trained by Hugging Face, saved as tokenizer.json."""
    tok = hf.Tokenizer(hf.models.BPE())
    tok.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = hf.decoders.ByteLevel()
    trainer = hf.trainers.BpeTrainer(vocab_size=3000, initial_alphabet=hf.pre_tokenizers.ByteLevel.alphabet(),
                                     special_tokens=["<|endoftext|>"], show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    path = tmp_path_factory.mktemp("bpe") / "tokenizer.json"
    tok.save(str(path))
    return tok, path


def fresh_rng() -> tuple[random.Random, int]:
    seed = int.from_bytes(os.urandom(4), "little")
    return random.Random(seed), seed


def test_ids_equal_hf_on_corpus(trained, corpus):
    ref, path = trained
    ours = BPETokenizer.from_file(path)
    assert ref.get_vocab_size() == 3000
    expected = [e.ids for e in ref.encode_batch(corpus)]
    assert ours.encode_batch(corpus) == expected


@pytest.mark.parametrize("text", TORTURE, ids=range(len(TORTURE)))
def test_ids_equal_hf_on_torture_set(trained, text):
    ref, path = trained
    ours = BPETokenizer.from_file(path)
    assert ours.encode(text) == ref.encode(text).ids
    assert ours.decode(ours.encode(text)) == text


def test_ids_equal_hf_on_random_unicode(trained):
    ref, path = trained
    ours = BPETokenizer.from_file(path)
    rng, seed = fresh_rng()
    for text in random_texts(rng, 300):
        assert ours.encode(text) == ref.encode(text).ids, f"seed {seed}: {text!r}"


def test_pretokenizer_split_equals_hf():
    from triptych._text import gpt2_split

    alphabet = bytes_to_unicode()
    ref = hf.pre_tokenizers.ByteLevel(add_prefix_space=False)
    rng, seed = fresh_rng()
    for text in TORTURE[1:] + random_texts(rng, 300):
        expected = [piece for piece, _ in ref.pre_tokenize_str(text)]
        ours = ["".join(alphabet[b] for b in piece) for piece in gpt2_split(text)]
        assert ours == expected, f"seed {seed}: {text!r}"


def test_unicode_tables_match_python():
    from triptych._text import unicode_version

    assert unicode_version() == unicodedata.unidata_version, (
        "regenerate core/csrc/text/unicode_table.h with core/csrc/text/make_unicode_table.py")


def test_decode_roundtrip_and_equals_hf(trained):
    ref, path = trained
    ours = BPETokenizer.from_file(path)
    rng, seed = fresh_rng()
    for text in TORTURE + random_texts(rng, 100):
        ids = ours.encode(text)
        assert ours.decode(ids) == text, f"seed {seed}"
        assert ours.decode(ids) == ref.decode(ids, skip_special_tokens=False)
        assert ours.decode(ids, skip_special_tokens=True) == ref.decode(ids, skip_special_tokens=True)


def test_decode_of_a_partial_character_gives_replacement(trained):
    _, path = trained
    ours = BPETokenizer.from_file(path)
    first_byte = ours.token_to_id(bytes_to_unicode()[0xE2])  # "€" is E2 82 AC
    assert ours.decode([first_byte]) == "\ufffd" == trained[0].decode([first_byte])
    with pytest.raises(ValueError, match="ids: 999999"):
        ours.decode([999999])


def test_encode_batch_threads_equal_single(trained, corpus):
    _, path = trained
    ours = BPETokenizer.from_file(path)
    texts = corpus * 3  # > 64 KiB per thread, so the thread pool is used
    assert sum(map(len, texts)) > 2 * 65536
    single = [ours.encode(t) for t in texts]
    assert ours.encode_batch(texts, num_threads=4) == single
    assert ours.encode_batch(texts, num_threads=1) == single
    assert ours(texts[:3]) == single[:3] and ours(texts[0]) == single[0]


def test_encode_batch_padded(trained, corpus):
    _, path = trained
    ours = BPETokenizer.from_file(path)
    texts = corpus[:50] + [""]
    rows = ours.encode_batch(texts)
    ids, lengths = ours.encode_batch_padded(texts, padding_value=-1)
    width = max(map(len, rows))
    assert ids.shape == (len(texts), width) and ids.dtype == torch.int64
    assert lengths.tolist() == [len(r) for r in rows]
    for row, expected in zip(ids.tolist(), rows):
        assert row == expected + [-1] * (width - len(expected))
    cut, cut_lengths = ours.encode_batch_padded(texts, max_length=5)
    assert cut.shape == (len(texts), 5)
    assert cut_lengths.tolist() == [min(5, len(r)) for r in rows]
    assert cut[0, : cut_lengths[0]].tolist() == rows[0][:5]
    empty, empty_lengths = ours.encode_batch_padded([])
    assert empty.shape == (0, 0) and empty_lengths.shape == (0,)
    with pytest.raises(ValueError, match="max_length"):
        ours.encode_batch_padded(texts, max_length=-2)


def test_bytes_input_equals_str(trained):
    _, path = trained
    ours = BPETokenizer.from_file(path)
    for text in TORTURE:
        assert ours.encode(text.encode()) == ours.encode(text)


@pytest.mark.parametrize("bad", [b"ok \xff", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"])
def test_invalid_utf8_is_a_clear_error(trained, bad):
    _, path = trained
    ours = BPETokenizer.from_file(path)
    with pytest.raises(ValueError, match="text is not valid UTF-8"):
        ours.encode(bad)
    with pytest.raises(ValueError, match=r"texts\[1\] is not valid UTF-8"):
        ours.encode_batch([b"fine", bad])
    with pytest.raises(TypeError, match=r"texts\[0\] must be str or bytes"):
        ours.encode_batch([3])
    with pytest.raises(TypeError, match="not a single string"):
        ours.encode_batch("abc")
    with pytest.raises(UnicodeEncodeError):
        ours.encode("lone \ud800 surrogate")


def test_special_tokens_lstrip_and_post_processor(trained, tmp_path):
    ref = hf.Tokenizer.from_file(str(trained[1]))
    ref.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=True)
    ref.add_special_tokens(["<s>", "</s>", hf.AddedToken("<mask>", lstrip=True), "<pad>"])
    ref.add_tokens([hf.AddedToken("added word", normalized=True), hf.AddedToken("tail", rstrip=True)])
    ref.post_processor = hf.processors.RobertaProcessing(("</s>", ref.token_to_id("</s>")),
                                                         ("<s>", ref.token_to_id("<s>")))
    ref.save(str(tmp_path / "roberta.json"))
    ours = BPETokenizer.from_file(tmp_path / "roberta.json")
    texts = ["", " ", "Hello <mask> world", "Hello   <mask>", "<mask>", "x<s>y</s>", "an added word here",
             "a\n<mask>\n b", "<s><s>", "tail   end", "<mask>tail<mask>"]
    for text in texts:
        assert ours.encode(text) == ref.encode(text).ids, text
        plain = ours.encode(text, add_special_tokens=False)
        assert plain == ref.encode(text, add_special_tokens=False).ids, text
    assert ours.encode_batch(texts) == [e.ids for e in ref.encode_batch(texts)]
    ids, _ = ours.encode_batch_padded(texts, add_special_tokens=False)
    assert ids[2, :3].tolist() == ref.encode(texts[2], add_special_tokens=False).ids[:3]
    assert ours.token_to_id("<mask>") == ref.token_to_id("<mask>")
    assert len(ours) == ref.get_vocab_size()


def test_template_post_processor(trained, tmp_path):
    ref = hf.Tokenizer.from_file(str(trained[1]))
    ref.add_special_tokens(["<s>", "</s>", "<pad>"])
    ref.post_processor = hf.processors.TemplateProcessing(
        single="<s> $A </s> <pad>",
        special_tokens=[(t, ref.token_to_id(t)) for t in ("<s>", "</s>", "<pad>")])
    ref.save(str(tmp_path / "template.json"))
    ours = BPETokenizer.from_file(tmp_path / "template.json")
    assert ours.encode("hi there") == ref.encode("hi there").ids
    assert ours.encode("hi there", add_special_tokens=False) == ref.encode("hi there", add_special_tokens=False).ids


def test_from_vocab_merges_equals_hf(trained, tmp_path, corpus):
    ref, _ = trained
    vocab_path, merges_path = ref.model.save(str(tmp_path))
    hf_files = hf.ByteLevelBPETokenizer(vocab_path, merges_path)
    ours = BPETokenizer.from_vocab_merges(vocab_path, merges_path)
    texts = corpus[:500] + TORTURE
    assert ours.encode_batch(texts) == [e.ids for e in hf_files.encode_batch(texts)]
    prefixed = BPETokenizer.from_vocab_merges(vocab_path, merges_path, add_prefix_space=True)
    hf_prefixed = hf.ByteLevelBPETokenizer(vocab_path, merges_path, add_prefix_space=True)
    assert prefixed.encode_batch(texts) == [e.ids for e in hf_prefixed.encode_batch(texts)]


def test_ignore_merges_equals_hf(trained, tmp_path):
    ref, _ = trained
    vocab_path, merges_path = ref.model.save(str(tmp_path))
    vocab = json.loads(open(vocab_path, encoding="utf-8").read())
    merges = [tuple(line.split(" ")) for line in open(merges_path, encoding="utf-8").read().splitlines()
              if line and not line.startswith("#")]
    # A vocabulary entry that the merges do not produce for its word: ignore_merges picks it.
    vocab["Ġzebra"] = len(vocab)
    model = hf.models.BPE(vocab, merges, ignore_merges=True)
    hf_tok = hf.Tokenizer(model)
    hf_tok.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf_tok.save(str(tmp_path / "ignore.json"))
    ours = BPETokenizer.from_file(tmp_path / "ignore.json")
    texts = ["a zebra and zebras", " zebra", "zebra"] + TORTURE
    assert [ours.encode(t) for t in texts] == [hf_tok.encode(t).ids for t in texts]
    assert ours.encode(" zebra") == [vocab["Ġzebra"]]


def test_unsupported_files_are_refused(trained, tmp_path):
    spec = json.loads(trained[1].read_text(encoding="utf-8"))
    cases = {
        "normalizer": {**spec, "normalizer": {"type": "NFC"}},
        "pre_tokenizer": {**spec, "pre_tokenizer": {"type": "Metaspace"}},
        "dropout": {**spec, "model": {**spec["model"], "dropout": 0.1}},
        "WordPiece": {**spec, "model": {"type": "WordPiece", "vocab": {}}},
    }
    for name, bad in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(ValueError, match=name):
            BPETokenizer.from_file(path)


def test_merge_of_unknown_token_is_refused(tmp_path):
    vocab = {c: i for i, c in enumerate(bytes_to_unicode().values())}
    with pytest.raises(ValueError, match=r"merges\[0\].*'ab' is not in the vocabulary"):
        BPETokenizer(vocab, [("a", "b")])
    merges = tmp_path / "merges.txt"
    merges.write_text("#version: 0.2\na b c\n", encoding="utf-8")
    (tmp_path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    with pytest.raises(ValueError, match="merges.txt:2"):
        BPETokenizer.from_vocab_merges(tmp_path / "vocab.json", merges)


def test_missing_bytes_are_dropped_like_hf(tmp_path):
    # A vocabulary without the byte for "é": HF drops what it cannot encode; so do we.
    alphabet = bytes_to_unicode()
    vocab = {alphabet[b]: b for b in range(128)}
    ref = hf.Tokenizer(hf.models.BPE(vocab, []))
    ref.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=False)
    ref.save(str(tmp_path / "small.json"))
    ours = BPETokenizer.from_file(tmp_path / "small.json")
    assert ours.encode("café au lait") == ref.encode("café au lait").ids


def test_tokenizer_is_usable_from_threads(trained, corpus):
    from concurrent.futures import ThreadPoolExecutor

    _, path = trained
    ours = BPETokenizer.from_file(path)
    expected = [ours.encode(t) for t in corpus[:400]]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(ours.encode, corpus[:400]))
    assert got == expected
