"""Text: tokenize a whole corpus (``/work/shared/data/text/pydocs.txt.gz``), one thread by default.

Set-up (untimed, cached in ``benchmarks/results/text_assets/``): an 8 000-token byte-level BPE
and an 8 000-token BERT WordPiece vocabulary trained with Hugging Face ``tokenizers``, a
SentencePiece BPE-8000 model trained with ``sentencepiece``, and a whitespace-token vocabulary.
Cases, ours (this .venv) vs the anchor (``/work/anchor/bin/python``), alternating rounds:

* ``bpe-8k``: ``BPETokenizer.encode_batch`` vs HF ``Tokenizer.encode_batch`` (same tokenizer.json);
* ``wordpiece-8k``: ``WordPieceTokenizer.encode_batch`` vs HF ``BertWordPieceTokenizer.encode_batch``
  (no [CLS]/[SEP]);
* ``sentencepiece-bpe-8k``: ``SentencePieceTokenizer.encode_batch`` vs
  ``SentencePieceProcessor.encode`` (same model);
* ``numericalize``: ``Vocab.numericalize(lines)`` vs ``[[stoi.get(w, unk) for w in s.split()] for s in lines]``.

Every case returns ids equal to the anchor's (checked by the tests, and here once before timing).
Threads: ``--threads N`` sets ours' ``num_threads``, the anchor's ``RAYON_NUM_THREADS`` /
``num_threads`` and torch's thread count. ``TRIPTYCH_TEXT_CORPUS`` overrides the corpus path.
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

# Hugging Face tokenizers reads RAYON_NUM_THREADS once, at its first parallel call: set it first.
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
# ``--cases a,b``: time only these cases (default: all); read here, before common's parser.
CASES = None
if "--cases" in sys.argv:
    _at = sys.argv.index("--cases")
    CASES = sys.argv[_at + 1].split(",")
    del sys.argv[_at:_at + 2]
os.environ["RAYON_NUM_THREADS"] = str(THREADS)
os.environ["TOKENIZERS_PARALLELISM"] = "true" if THREADS > 1 else "false"

from common import RESULTS_DIR, main  # noqa: E402

CORPUS = Path(os.environ.get("TRIPTYCH_TEXT_CORPUS", "/work/shared/data/text/pydocs.txt.gz"))
ASSETS = RESULTS_DIR / "text_assets"
BPE_JSON = ASSETS / "bpe-8k.json"
WORDPIECE_VOCAB = ASSETS / "wordpiece-8k-vocab.txt"
SPM_MODEL = ASSETS / "spm-bpe-8k.model"
WORD_VOCAB = ASSETS / "words.txt"


def lines() -> list[str]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def prepare(cases) -> None:
    """Train the tokenizers the ``cases`` need, once (our process, untimed)."""
    import tokenizers as hf

    from triptych.text.tokenizers import train_sentencepiece
    from triptych.text.vocab import build_vocab_from_iterator

    ASSETS.mkdir(parents=True, exist_ok=True)
    text = lines()
    if not BPE_JSON.exists() and "bpe-8k" in cases:
        tok = hf.Tokenizer(hf.models.BPE())
        tok.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = hf.decoders.ByteLevel()
        tok.train_from_iterator(text, hf.trainers.BpeTrainer(
            vocab_size=8000, initial_alphabet=hf.pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
        tok.save(str(BPE_JSON))
    if not WORDPIECE_VOCAB.exists() and "wordpiece-8k" in cases:
        wp = hf.BertWordPieceTokenizer(lowercase=True)
        wp.train_from_iterator(text, vocab_size=8000, show_progress=False)
        (saved,) = wp.save_model(str(ASSETS), "wordpiece-8k")
        assert Path(saved) == WORDPIECE_VOCAB
    if not SPM_MODEL.exists() and "sentencepiece-bpe-8k" in cases:
        train_sentencepiece(text, vocab_size=8000, model_type="bpe", output=SPM_MODEL)
    if not WORD_VOCAB.exists() and "numericalize" in cases:
        vocab = build_vocab_from_iterator((line.split() for line in text), min_freq=2, specials=["<unk>"])
        vocab.save(WORD_VOCAB)


def corpus_mb() -> float:
    return sum(len(line.encode()) for line in lines()) / 1e6


# ---------------------------------------------------------------- ours
def _ours_bpe():
    from triptych.text.tokenizers import BPETokenizer

    tok, text = BPETokenizer.from_file(BPE_JSON), lines()
    return lambda: tok.encode_batch(text, num_threads=THREADS)


def _ours_wordpiece():
    from triptych.text.tokenizers import WordPieceTokenizer

    tok, text = WordPieceTokenizer.from_vocab(WORDPIECE_VOCAB, lowercase=True), lines()
    return lambda: tok.encode_batch(text, num_threads=THREADS)


def _ours_spm():
    from triptych.text.tokenizers import SentencePieceTokenizer

    tok, text = SentencePieceTokenizer(SPM_MODEL), lines()
    return lambda: tok.encode_batch(text, num_threads=THREADS)


def _ours_numericalize():
    from triptych.text.vocab import Vocab

    vocab, text = Vocab.load(WORD_VOCAB, default_index=0), lines()
    return lambda: vocab.numericalize(text, num_threads=THREADS)


# ---------------------------------------------------------------- anchor
def _hf_bpe():
    import tokenizers

    tok, text = tokenizers.Tokenizer.from_file(str(BPE_JSON)), lines()
    return lambda: [e.ids for e in tok.encode_batch(text)]


def _hf_wordpiece():
    import tokenizers

    tok, text = tokenizers.BertWordPieceTokenizer(str(WORDPIECE_VOCAB), lowercase=True), lines()
    return lambda: [e.ids for e in tok.encode_batch(text, add_special_tokens=False)]


def _spm():
    import sentencepiece

    sp, text = sentencepiece.SentencePieceProcessor(model_file=str(SPM_MODEL)), lines()
    return lambda: sp.encode(text, num_threads=THREADS)


def _dict_lookup():
    words = WORD_VOCAB.read_text(encoding="utf-8").split("\n")[:-1]
    stoi, unk, text = {w: i for i, w in enumerate(words)}, 0, lines()
    return lambda: [[stoi.get(w, unk) for w in s.split()] for s in text]


OURS = {"bpe-8k": _ours_bpe, "wordpiece-8k": _ours_wordpiece, "sentencepiece-bpe-8k": _ours_spm,
        "numericalize": _ours_numericalize}
ANCHOR = {"bpe-8k": _hf_bpe, "wordpiece-8k": _hf_wordpiece, "sentencepiece-bpe-8k": _spm,
          "numericalize": _dict_lookup}
if CASES is not None:
    unknown = sorted(set(CASES) - set(OURS))
    if unknown:
        raise SystemExit(f"bench_text: unknown --cases {unknown}; choose from {sorted(OURS)}")
    OURS = {name: OURS[name] for name in CASES}


def check_equal() -> None:
    """The two sides of every case give the same ids (on the first 5 000 lines)."""
    global lines
    full = lines
    subset = full()[:5000]
    lines = lambda: subset  # noqa: E731 - narrow the corpus for this check only
    try:
        for name in OURS:
            if OURS[name]()() != ANCHOR[name]()():
                raise SystemExit(f"bench_text: {name}: ours and the anchor give different ids")
    finally:
        lines = full


def _versions():
    import sentencepiece
    import tokenizers

    return {"tokenizers": tokenizers.__version__, "sentencepiece": sentencepiece.__version__,
            "python": sys.version.split()[0]}


if __name__ == "__main__":
    if "--anchor-worker" not in sys.argv:
        prepare(OURS)
        check_equal()
    mb = corpus_mb()
    main(
        f"text: tokenize {CORPUS.name} ({mb:.1f} MB, {THREADS} thread(s))",
        __file__,
        OURS,
        ANCHOR,
        _versions,
        units={name: ("MB/s", mb) for name in OURS},
        min_time=0.5,
        rounds=3,
    )
