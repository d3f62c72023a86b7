"""Train a small text classifier end to end, evaluate it, save a checkpoint and reload it.

SyntheticText sentences (made on the fly, nothing downloaded) by default; ``--dataset ag_news
--download`` for AG News. Text -> a SentencePiece BPE tokenizer trained on the fly -> a Vocab
of its pieces + text transforms -> length-bucketed batches -> a mean-pooled embedding
classifier -> held-out accuracy -> a checkpoint (a state_dict file) reloaded through the
weights API (``triptych.models.load_weights``).

    python examples/train_text.py                        # well under a minute on 2 CPU cores
    python examples/train_text.py --dataset ag_news --download --samples 20000 --device cuda

Needs the ``text`` extra (sentencepiece). ``run(argv)`` returns the main-job contract's dict
(see ``run``); ``main(argv)`` prints it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from triptych.device import seed_all
from triptych.models import load_weights, resolve_weights, save_state_dict_file
from triptych.text.data import BucketBatchSampler, pad_collate
from triptych.text.datasets import AG_NEWS, SyntheticText
from triptych.text.tokenizers import SentencePieceTokenizer, train_sentencepiece
from triptych.text.transforms import Sequential, Truncate, VocabTransform
from triptych.text.vocab import build_vocab_from_iterator


class MeanPoolClassifier(nn.Module):
    """Token embeddings averaged over the unpadded positions, then a linear layer.

    ``forward(input_ids (B, T) int64, attention_mask (B, T) 0/1) -> logits (B, classes)``.
    """

    def __init__(self, vocab_size: int, num_classes: int, dim: int = 64, padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=padding_idx)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        embedded = self.embedding(input_ids)                              # (B, T, dim)
        mask = attention_mask.unsqueeze(-1).to(embedded.dtype)            # (B, T, 1)
        pooled = (embedded * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.head(pooled)                                         # (B, classes)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("synthetic", "ag_news"), default="synthetic")
    parser.add_argument("--download", action="store_true", help="fetch the dataset if missing")
    parser.add_argument("--root", default=None, help="datasets root (default: $TRIPTYCH_HOME/datasets)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps, ...")
    parser.add_argument("--samples", type=int, default=4000,
                        help="training texts (synthetic: generated; ag_news: a seeded random subset)")
    parser.add_argument("--vocab-size", type=int, default=200, help="SentencePiece vocabulary size")
    parser.add_argument("--max-tokens", type=int, default=48, help="tokens kept per text")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="checkpoint folder (default: a temp folder)")
    args = parser.parse_args(argv)
    for name in ("epochs", "samples", "batch_size", "max_tokens"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.vocab_size < 50:
        parser.error("--vocab-size must be >= 50")
    return args


def load_texts(args: argparse.Namespace):
    """``(train, test, classes)``: lists of ``(text, label)``; the test split is held out."""
    if args.dataset == "ag_news":
        train_set = AG_NEWS(args.root, split="train", download=args.download)
        test_set = AG_NEWS(args.root, split="test", download=args.download)
        pick = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(args.seed))
        train = [train_set[i] for i in pick[: args.samples].tolist()]
        return train, [test_set[i] for i in range(len(test_set))], train_set.classes
    train_set = SyntheticText(args.samples, seed=args.seed)
    test_set = SyntheticText(max(200, args.samples // 5), split="test", seed=args.seed)
    return list(train_set), list(test_set), list(train_set.classes)


def accuracy_of(model: nn.Module, loader: DataLoader, device: torch.device | str = "cpu") -> float:
    """The fraction of ``loader``'s samples that ``model`` classifies right."""
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for batch in loader:
            logits = model(batch["input_ids"].to(device), batch["attention_mask"].to(device))
            correct += int((logits.argmax(1).cpu() == batch["labels"]).sum())
            total += len(batch["labels"])
    return correct / max(total, 1)


def progress(iterable, **kwargs):
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, file=sys.stdout, mininterval=1.0, leave=False, **kwargs)


def run(argv: list[str] | None = None) -> dict:
    """Train, evaluate, save and reload; return the main-job contract's dict.

    Keys: ``domain``, ``model`` (eval, CPU), ``model_name`` (None: the classifier is defined
    here, not registered), ``checkpoint``, ``accuracy``, ``evaluate`` (``model -> accuracy`` on
    the held-out split), ``example_inputs`` (``(input_ids, attention_mask)``),
    ``pipeline_samples_per_s`` (tokenize + numericalize), ``train_samples_per_s``, ``history``,
    ``wall_s``, ``preview`` (up to 8 ``(text, pieces)`` pairs).
    """
    started = time.perf_counter()
    args = parse_args(argv)
    seed_all(args.seed)
    device = torch.device(args.device)
    out = args.out or Path(tempfile.mkdtemp(prefix="train_text-"))
    out.mkdir(parents=True, exist_ok=True)

    train_texts, test_texts, classes = load_texts(args)
    # A tokenizer trained on the training texts, its pieces numbered by a Vocab.
    model_file = train_sentencepiece((text for text, _ in train_texts), vocab_size=args.vocab_size,
                                     model_type="bpe", output=out / "tokenizer.model")
    tokenizer = SentencePieceTokenizer(model_file)

    def pieces(text: str) -> list[str]:
        return tokenizer.encode(text, out_type=str)

    vocab = build_vocab_from_iterator((pieces(t) for t, _ in train_texts), specials=["<pad>", "<unk>"])
    vocab.set_default_index(vocab["<unk>"])
    vocab.save(out / "vocab.txt")
    transform = Sequential(pieces, VocabTransform(vocab), Truncate(args.max_tokens))

    start = time.perf_counter()
    train = [(transform(text), label) for text, label in train_texts]
    pipeline_samples_per_s = len(train) / (time.perf_counter() - start)
    test = [(transform(text), label) for text, label in test_texts]

    sampler = BucketBatchSampler([len(ids) for ids, _ in train], args.batch_size,
                                 generator=torch.Generator().manual_seed(args.seed))
    train_loader = DataLoader(train, batch_sampler=sampler, collate_fn=pad_collate)
    test_loader = DataLoader(test, batch_size=256, collate_fn=pad_collate)

    def build() -> MeanPoolClassifier:
        return MeanPoolClassifier(len(vocab), len(classes), padding_idx=vocab["<pad>"])

    model = build().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    history, seen, train_time = [], 0, 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        tick = time.perf_counter()
        total_loss = 0.0
        bar = progress(train_loader, desc=f"epoch {epoch}/{args.epochs}", unit="batch")
        for batch in bar:
            logits = model(batch["input_ids"].to(device), batch["attention_mask"].to(device))
            loss = nn.functional.cross_entropy(logits, batch["labels"].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(batch["labels"])
            seen += len(batch["labels"])
        train_time += time.perf_counter() - tick
        history.append({"epoch": epoch, "loss": total_loss / len(train),
                        "accuracy": accuracy_of(model, test_loader, device)})

    model = model.cpu().eval()
    checkpoint = save_state_dict_file(model, out / "classifier")
    reloaded = load_weights(build(), resolve_weights(checkpoint, None)).eval()

    evaluate: Callable[[nn.Module], float] = lambda m: accuracy_of(m, test_loader)  # noqa: E731
    example = next(iter(DataLoader(test[:8], batch_size=8, collate_fn=pad_collate)))
    return {
        "domain": "text",
        "model": reloaded,
        "model_name": None,
        "checkpoint": checkpoint,
        "accuracy": evaluate(reloaded),
        "evaluate": evaluate,
        "example_inputs": (example["input_ids"], example["attention_mask"]),
        "pipeline_samples_per_s": pipeline_samples_per_s,
        "train_samples_per_s": seen / train_time,
        "history": history,
        "wall_s": time.perf_counter() - started,
        "preview": [(text, pieces(text)) for text, _ in test_texts[:8]],
        "classes": classes,
    }


def main(argv: list[str] | None = None) -> int:
    result = run(argv)
    for entry in result["history"]:
        print(f"epoch {entry['epoch']}: loss {entry['loss']:.3f}, "
              f"held-out accuracy {entry['accuracy']:.3f}")
    for text, tokens in result["preview"][:3]:
        print(f"  {text!r} -> {tokens}")
    print(f"pipeline (tokenize + numericalize): {result['pipeline_samples_per_s']:.0f} texts/s; "
          f"training: {result['train_samples_per_s']:.0f} texts/s")
    print(f"held-out accuracy of the reloaded checkpoint: {result['accuracy']:.4f} "
          f"(chance {1 / len(result['classes']):.4f}); {result['checkpoint']}; "
          f"{result['wall_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
