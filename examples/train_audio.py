"""Train the keyword-spotting CNN on audio clips, evaluate it, save a checkpoint and reload it.

SyntheticKeywords (12 classes: ``_silence_``, ``_unknown_`` and 10 synthesised keywords, made
on the fly, nothing downloaded) by default; ``--dataset speechcommands --download`` for Speech
Commands v0.02 (35 words, 2.4 GB). DataLoader workers make the waveforms; the log-mel front end
(``MelSpectrogram`` + ``AmplitudeToDB``) and ``SpecAugment`` run on the whole batch on the
training device; the model is ``kws_cnn``. The checkpoint is written with
``triptych.models.save_state_dict_file`` and loaded back with
``triptych.models.get_model("kws_cnn", weights=path)``.

    python examples/train_audio.py                      # well under 90 s on 2 CPU cores
    python examples/train_audio.py --dataset speechcommands --download --epochs 10 --device cuda

Prints the pipeline and training throughputs (clips/s), the held-out accuracy and whether the
reloaded checkpoint predicts exactly as the trained model. :func:`run` returns the same as a
dict (the main-job contract of the examples).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from triptych.audio.datasets import SyntheticKeywords
from triptych.audio.transforms import AmplitudeToDB, MelSpectrogram, SpecAugment
from triptych.device import seed_all, worker_init_fn
from triptych.models import get_model, save_state_dict_file

MODEL_NAME = "kws_cnn"
SAMPLE_RATE = 16000
# Speech Commands v0.02's 35 words (its README), in sorted order: the class indices.
SPEECH_COMMANDS_WORDS = (
    "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward", "four",
    "go", "happy", "house", "learn", "left", "marvin", "nine", "no", "off", "on", "one", "right",
    "seven", "sheila", "six", "stop", "three", "tree", "two", "up", "visual", "wow", "yes", "zero",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("synthetic", "speechcommands"), default="synthetic")
    parser.add_argument("--download", action="store_true", help="fetch the dataset if missing")
    parser.add_argument("--root", default=None,
                        help="datasets root (default: $TRIPTYCH_HOME/datasets)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps, ...")
    parser.add_argument("--num-samples", type=int, default=2000,
                        help="synthetic training clips (the held-out set has a quarter)")
    parser.add_argument("--duration", type=float, default=1.0, help="synthetic clip seconds")
    parser.add_argument("--num-classes", type=int, default=12,
                        help="synthetic classes: _silence_, _unknown_ and up to 10 keywords")
    parser.add_argument("--n-mels", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/train_audio", help="checkpoint folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    for name in ("epochs", "num_samples", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.workers < 0:
        parser.error("--workers must be >= 0")
    if args.n_mels < 16:
        parser.error("--n-mels must be >= 16 (the model halves it four times)")
    if args.duration < 0.25:
        parser.error("--duration must be >= 0.25")
    if not 2 <= args.num_classes <= 12:
        parser.error("--num-classes must be in [2, 12]")
    return args


class _SpeechCommandsClips(torch.utils.data.Dataset):
    """Speech Commands as ``(waveform (1, 16000), label index)``: clips padded or cut to 1 s."""

    def __init__(self, dataset, classes: list[str]):
        self.dataset, self.classes = dataset, classes
        self.index = {word: i for i, word in enumerate(classes)}

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, n: int) -> tuple[torch.Tensor, int]:
        waveform, sample_rate, label, *_ = self.dataset[n]
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"Speech Commands clip {n} has sample rate {sample_rate}, "
                             f"expected {SAMPLE_RATE}")
        waveform = waveform[:1, :SAMPLE_RATE]
        waveform = nn.functional.pad(waveform, (0, SAMPLE_RATE - waveform.shape[-1]))
        return waveform, self.index[label]


def build_datasets(args: argparse.Namespace):
    """``(train, test, classes, sample_rate)``; the test set is held out (other seed / files)."""
    if args.dataset == "speechcommands":
        try:  # the Speech Commands class is optional here: the default needs no files
            from triptych.audio.datasets import SPEECHCOMMANDS
        except (ImportError, AttributeError):
            raise RuntimeError("--dataset speechcommands needs triptych.audio.datasets."
                               "SPEECHCOMMANDS, which this triptych does not have yet; use "
                               "the default --dataset synthetic") from None
        from triptych import paths

        root = args.root or paths.datasets_dir()
        train = SPEECHCOMMANDS(root, subset="training", download=args.download)
        test = SPEECHCOMMANDS(root, subset="testing")
        classes = list(SPEECH_COMMANDS_WORDS)
        return (_SpeechCommandsClips(train, classes), _SpeechCommandsClips(test, classes),
                classes, SAMPLE_RATE)
    options = dict(sample_rate=SAMPLE_RATE, duration=args.duration, num_classes=args.num_classes)
    train = SyntheticKeywords(args.num_samples, seed=args.seed, **options)
    test = SyntheticKeywords(max(args.num_samples // 4, 1), seed=args.seed + 1, **options)
    return train, test, train.classes, SAMPLE_RATE


def loader(dataset, args: argparse.Namespace, *, shuffle: bool) -> DataLoader:
    return DataLoader(dataset, batch_size=args.batch_size, shuffle=shuffle,
                      num_workers=args.workers, worker_init_fn=worker_init_fn(args.seed),
                      generator=torch.Generator().manual_seed(args.seed))


def front_end(sample_rate: int, n_mels: int) -> nn.Module:
    """Waveforms ``(B, 1, T)`` -> log-mel spectrograms ``(B, 1, n_mels, T // 160 + 1)`` in dB
    (25 ms windows, 10 ms hop at 16 kHz)."""
    return nn.Sequential(
        MelSpectrogram(sample_rate=sample_rate, n_fft=sample_rate // 40,
                       hop_length=sample_rate // 100, n_mels=n_mels),
        AmplitudeToDB("power", top_db=80.0),
    )


@torch.no_grad()
def features_of(batches, features: nn.Module, device: torch.device):
    """Every batch's log-mel features and labels, concatenated on the CPU."""
    xs, ys = [], []
    for waveforms, labels in batches:
        xs.append(features(waveforms.to(device)).cpu())
        ys.append(torch.as_tensor(labels))
    return torch.cat(xs), torch.cat(ys)


def evaluator(features: torch.Tensor, labels: torch.Tensor, batch_size: int
              ) -> Callable[[nn.Module], float]:
    """``evaluate(model) -> accuracy`` on the held-out features, on the CPU, in batches of
    ``batch_size`` (the last one smaller)."""

    @torch.no_grad()
    def evaluate(model: Callable[[torch.Tensor], torch.Tensor]) -> float:
        if isinstance(model, nn.Module):
            model.eval()
        correct = 0
        for start in range(0, len(labels), batch_size):
            logits = model(features[start:start + batch_size])
            correct += int((logits.argmax(1) == labels[start:start + batch_size]).sum())
        return correct / len(labels)

    return evaluate


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, evaluate, save and reload; return the main-job contract's dict (see OWNERS.md:
    ``domain``, ``model``, ``model_name``, ``checkpoint``, ``accuracy``, ``evaluate``,
    ``example_inputs``, ``pipeline_samples_per_s``, ``train_samples_per_s``, ``history``,
    ``wall_s``, ``preview``)."""
    began = time.perf_counter()
    args = parse_args(argv)
    seed_all(args.seed)
    device = torch.device(args.device)
    train_set, test_set, classes, sample_rate = build_datasets(args)
    features = front_end(sample_rate, args.n_mels).to(device)
    augment = SpecAugment(n_time_masks=2, time_mask_param=12, n_freq_masks=2,
                          freq_mask_param=max(args.n_mels // 8, 1), iid_masks=True,
                          generator=torch.Generator(device).manual_seed(args.seed))
    if not args.quiet:
        print(f"{args.dataset}: {len(train_set)} training / {len(test_set)} held-out clips, "
              f"{len(classes)} classes; device {device}")

    # The held-out clips go through the data pipeline (workers making the waveforms, the
    # front end on the batch) once; that pass measures the pipeline's throughput.
    start = time.perf_counter()
    test_x, test_y = features_of(loader(test_set, args, shuffle=False), features, device)
    pipeline_samples_per_s = len(test_y) / (time.perf_counter() - start)
    evaluate = evaluator(test_x, test_y, args.batch_size)

    model = get_model(MODEL_NAME, num_classes=len(classes)).to(device)
    train_loader = loader(train_set, args, shuffle=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.epochs * len(train_loader), pct_start=0.2)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)

    history, seen, train_time = [], 0, 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        total_loss, batches = 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", unit="batch",
                   file=sys.stdout, mininterval=1.0, disable=args.quiet, leave=False)
        for waveforms, labels in bar:
            labels = torch.as_tensor(labels).to(device)
            with torch.no_grad():
                inputs = augment(features(waveforms.to(device)))
            loss = loss_fn(model(inputs), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            seen += labels.shape[0]
            total_loss += loss.item()
            batches += 1
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
        train_time += time.perf_counter() - start
        model.cpu()
        history.append({"epoch": epoch, "loss": total_loss / batches,
                        "accuracy": evaluate(model)})
        model.to(device)
        if not args.quiet:
            print(f"epoch {epoch}: loss {history[-1]['loss']:.3f}, "
                  f"held-out accuracy {history[-1]['accuracy']:.4f}")

    model = model.cpu().eval()
    accuracy = history[-1]["accuracy"]
    checkpoint = save_state_dict_file(model, Path(args.out) / MODEL_NAME)
    reloaded = get_model(MODEL_NAME, weights=checkpoint, num_classes=len(classes)).eval()
    with torch.no_grad():
        identical = bool(torch.equal(model(test_x[:256]), reloaded(test_x[:256])))
    if not identical:
        raise RuntimeError(f"the checkpoint {checkpoint} does not reproduce the trained model")
    return {
        "domain": "audio",
        "model": reloaded,
        "model_name": MODEL_NAME,
        "checkpoint": checkpoint,
        "accuracy": accuracy,
        "evaluate": evaluate,
        "example_inputs": (test_x[:8].clone(),),
        "pipeline_samples_per_s": pipeline_samples_per_s,
        "train_samples_per_s": seen / train_time,
        "history": history,
        "wall_s": time.perf_counter() - began,
        "preview": test_x[0, 0].clone(),
        "classes": list(classes),
    }


def main(argv: list[str] | None = None) -> int:
    result = run(argv)
    classes = result["classes"]
    print(f"pipeline throughput: {result['pipeline_samples_per_s']:.0f} clips/s "
          f"(waveforms made in the workers + log-mel on the batch)")
    print(f"train throughput: {result['train_samples_per_s']:.0f} clips/s "
          f"(data loading and front end included)")
    print(f"held-out accuracy: {result['accuracy']:.4f} (chance {1 / len(classes):.4f})")
    print(f"checkpoint: {result['checkpoint']} (reloaded: identical predictions)")
    print(f"wall time: {result['wall_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
