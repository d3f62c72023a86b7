"""SentencePieceTokenizer and train_sentencepiece against the sentencepiece library."""

from __future__ import annotations

import pytest
import torch

from triptych.text.tokenizers import SentencePieceTokenizer, train_sentencepiece

from .test_bpe import TORTURE, stdlib_corpus

spm = pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module", params=["unigram", "bpe"])
def model(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("spm") / "text.model"
    path = train_sentencepiece(stdlib_corpus(), vocab_size=800, model_type=request.param, output=out,
                               num_threads=2)
    return path, request.param


def test_trained_model_is_the_requested_kind(model):
    path, kind = model
    ref = spm.SentencePieceProcessor(model_file=str(path))
    assert ref.get_piece_size() == 800
    # BPE pieces are scored by merge order (whole numbers); unigram pieces by log-probability.
    scores = [ref.get_score(i) for i in range(3, 800) if not ref.is_unused(i)]
    assert all(s == int(s) for s in scores) == (kind == "bpe")


def test_ids_and_pieces_equal_the_library(model):
    path, _ = model
    ours = SentencePieceTokenizer(path)
    ref = spm.SentencePieceProcessor(model_file=str(path))
    texts = stdlib_corpus()[:500] + [t for t in TORTURE if "\x00" not in t]
    assert ours.encode_batch(texts) == ref.encode(texts)
    assert ours.encode_batch(texts, out_type=str, num_threads=2) == ref.encode(texts, out_type=str)
    assert [ours.encode(t) for t in texts[:50]] == ref.encode(texts[:50])
    assert ours.decode(ours.encode(texts[0])) == ref.decode(ref.encode(texts[0]))
    assert ours.decode(ours.encode(texts[0], out_type=str)) == texts[0].strip()
    assert len(ours) == 800 and ours.piece_to_id(ours.id_to_piece(42)) == 42


def test_padded_form(model):
    ours = SentencePieceTokenizer(model[0])
    texts = ["short", "a somewhat longer line of text", ""]
    rows = ours.encode_batch(texts)
    ids, lengths = ours.encode_batch_padded(texts, padding_value=-1)
    assert ids.dtype == torch.int64 and ids.shape == (3, max(map(len, rows)))
    assert lengths.tolist() == [len(r) for r in rows]
    assert ids[1, : lengths[1]].tolist() == rows[1] and (ids[2] == -1).all()


def test_files_input_and_atomic_output(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(stdlib_corpus()), encoding="utf-8")
    out = train_sentencepiece(corpus, vocab_size=300, model_type="bpe", output=tmp_path / "m" / "a.model")
    again = train_sentencepiece([corpus], vocab_size=300, model_type="bpe", output=tmp_path / "b.model")
    pieces = [SentencePieceTokenizer(m).id_to_piece(i) for m in (out, again) for i in range(300)]
    assert pieces[:300] == pieces[300:] and len(SentencePieceTokenizer(out)) == 300
    with pytest.raises(ValueError, match="train_sentencepiece"):
        train_sentencepiece(["tiny text"], vocab_size=5000, output=tmp_path / "c.model")
    assert not (tmp_path / "c.model").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.model", "corpus.txt", "m"]


def test_bad_arguments(model, tmp_path):
    ours = SentencePieceTokenizer(model[0])
    with pytest.raises(FileNotFoundError, match="model_path"):
        SentencePieceTokenizer(tmp_path / "missing.model")
    with pytest.raises(ValueError, match="model_type"):
        train_sentencepiece(["x"], vocab_size=10, model_type="wordpiece", output=tmp_path / "x.model")
    with pytest.raises(ValueError, match="out_type"):
        ours.encode("x", out_type=bytes)
    with pytest.raises(TypeError, match=r"texts\[1\] must be str"):
        ours.encode_batch(["a", 3])
    with pytest.raises(ValueError, match="ids: 100000"):
        ours.decode([1, 100000])
