"""Train a small text classifier end to end, offline, in well under two minutes on a CPU.

SyntheticText sentences -> a SentencePiece BPE tokenizer trained on the fly -> a Vocab of its
pieces + text transforms -> length-bucketed batches -> a mean-pooled embedding classifier ->
evaluation -> a checkpoint, saved and read back with ``torch.load(weights_only=True)``.

    python examples/train_text.py [--epochs 3] [--samples 4000] [--out runs/text]

Needs the ``text`` extra (sentencepiece). Not done yet: ``--dataset ag_news --download`` and
saving through the weights API.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from triptych.text.data import BucketBatchSampler, pad_collate
from triptych.text.datasets import SyntheticText
from triptych.text.tokenizers import SentencePieceTokenizer, train_sentencepiece
from triptych.text.transforms import Sequential, Truncate, VocabTransform
from triptych.text.vocab import build_vocab_from_iterator


class MeanPoolClassifier(nn.Module):
    """Token embeddings averaged over the unpadded positions, then a linear layer."""

    def __init__(self, vocab_size: int, num_classes: int, dim: int = 64, padding_idx: int = 0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=padding_idx)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        mask = attention_mask.unsqueeze(-1).float()                       # (B, T, 1)
        pooled = (self.embedding(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.head(pooled)                                         # (B, classes)


def encoded(dataset, transform) -> list[tuple[list[int], int]]:
    return [(transform(text), label) for text, label in dataset]


def evaluate(model: nn.Module, loader: DataLoader) -> float:
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for batch in loader:
            logits = model(batch["input_ids"], batch["attention_mask"])
            correct += int((logits.argmax(1) == batch["labels"]).sum())
            total += len(batch["labels"])
    return correct / total


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="checkpoint folder (default: a temp folder)")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    out = args.out or Path(tempfile.mkdtemp(prefix="train_text-"))
    out.mkdir(parents=True, exist_ok=True)

    train_set = SyntheticText(args.samples, seed=args.seed)
    test_set = SyntheticText(max(200, args.samples // 5), split="test", seed=args.seed)
    classes = train_set.classes

    # A tokenizer trained on the training texts, its pieces numbered by a Vocab.
    model_file = train_sentencepiece((text for text, _ in train_set), vocab_size=200, model_type="bpe",
                                     output=out / "tokenizer.model")
    tokenizer = SentencePieceTokenizer(model_file)
    pieces = lambda text: tokenizer.encode(text, out_type=str)  # noqa: E731
    vocab = build_vocab_from_iterator((pieces(t) for t, _ in train_set), specials=["<pad>", "<unk>"])
    vocab.set_default_index(vocab["<unk>"])
    transform = Sequential(pieces, VocabTransform(vocab), Truncate(48))

    train, test = encoded(train_set, transform), encoded(test_set, transform)
    sampler = BucketBatchSampler([len(ids) for ids, _ in train], args.batch_size,
                                 generator=torch.Generator().manual_seed(args.seed))
    train_loader = DataLoader(train, batch_sampler=sampler, collate_fn=pad_collate)
    test_loader = DataLoader(test, batch_size=256, collate_fn=pad_collate)

    model = MeanPoolClassifier(len(vocab), len(classes), padding_idx=vocab["<pad>"])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(args.epochs):
        model.train()
        for batch in tqdm(train_loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False):
            loss = nn.functional.cross_entropy(model(batch["input_ids"], batch["attention_mask"]), batch["labels"])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {evaluate(model, test_loader):.3f}")

    checkpoint = out / "classifier.pt"
    torch.save({"model": model.state_dict(), "classes": classes}, checkpoint)
    vocab.save(out / "vocab.txt")
    restored = MeanPoolClassifier(len(vocab), len(classes), padding_idx=vocab["<pad>"])
    restored.load_state_dict(torch.load(checkpoint, weights_only=True)["model"])
    accuracy = evaluate(restored, test_loader)
    print(f"final test accuracy {accuracy:.3f} (chance {1 / len(classes):.3f}); saved to {out}")
    return accuracy


if __name__ == "__main__":
    main()
