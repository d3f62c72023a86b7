"""``SyntheticText``: labelled sentences from a small grammar, generated on the fly (no files)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from triptych.datasets.base import Dataset

# Each class is a topic with its own nouns, verbs and adjectives; sentences also draw words
# from the other topics (``noise``), so a model has to weigh evidence rather than spot one word.
_TOPICS = {
    "sports": (["team", "coach", "match", "goal", "season", "player", "league", "stadium"],
               ["wins", "loses", "scores", "defends", "trains", "beats"],
               ["fast", "fierce", "unbeaten", "young", "veteran"]),
    "science": (["planet", "cell", "atom", "telescope", "theory", "protein", "laboratory", "genome"],
                ["discovers", "measures", "observes", "models", "tests", "explains"],
                ["quantum", "cellular", "distant", "novel", "precise"]),
    "business": (["market", "company", "investor", "profit", "merger", "bank", "startup", "share"],
                 ["buys", "sells", "funds", "acquires", "reports", "raises"],
                 ["quarterly", "global", "private", "bullish", "struggling"]),
    "world": (["government", "election", "border", "minister", "treaty", "city", "protest", "summit"],
              ["signs", "rejects", "announces", "debates", "visits", "condemns"],
              ["national", "foreign", "historic", "regional", "tense"]),
}
_DETERMINERS = ["the", "a", "this", "every", "one"]
_FILLERS = ["today", "again", "after", "weeks", "of", "talks", "said", "reports", "on", "monday",
            "amid", "doubts", "early", "late", "in", "its", "first", "year"]


class SyntheticText(Dataset):
    """A seeded generator of labelled English-like sentences: ``(text, label)`` samples.

    The embedded default for examples and tests: no download, the same sample for the same
    ``(seed, split, index)`` in every process and worker. Classes are topics (``classes``).

    Args:
        num_samples: dataset length.
        split: ``"train"`` or ``"test"`` (different sentences for the same seed).
        num_classes: how many of the four topics to use (2 to 4).
        noise: probability that a content word is drawn from another topic.
        seed: base seed.
        transform, target_transform: applied to the text / the label.

    Example:
        >>> ds = SyntheticText(100, seed=0)
        >>> text, label = ds[3]
        >>> ds[3] == (text, label), 0 <= label < 4, ds.classes[label] in SyntheticText.all_classes
        (True, True, True)
    """

    name = "synthetic_text"
    resources = {"train": [], "test": []}
    all_classes = tuple(_TOPICS)

    def __init__(self, num_samples: int = 1000, *, split: str = "train", num_classes: int = 4, noise: float = 0.15,
                 seed: int = 0, transform: Callable | None = None, target_transform: Callable | None = None):
        if not isinstance(num_samples, int) or num_samples < 0:
            raise ValueError(f"num_samples must be an int >= 0, got {num_samples!r}")
        if not 2 <= num_classes <= len(_TOPICS):
            raise ValueError(f"num_classes must be in [2, {len(_TOPICS)}], got {num_classes}")
        if not 0.0 <= noise < 1.0:
            raise ValueError(f"noise must be in [0, 1), got {noise}")
        super().__init__(None, split=split, transform=transform, target_transform=target_transform)
        self.num_samples = num_samples
        self.classes = list(_TOPICS)[:num_classes]
        self.noise = noise
        self.seed = seed

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not -self.num_samples <= index < self.num_samples:
            raise IndexError(f"index {index} is out of range for {self.num_samples} samples")
        index %= self.num_samples
        rng = random.Random(f"{self.seed}/{self.split}/{index}")
        label = rng.randrange(len(self.classes))
        return self.apply_transforms(self._sentence(rng, label), label)

    def _sentence(self, rng: random.Random, label: int) -> str:
        def word(kind: int) -> str:
            topic = self.classes[label] if rng.random() >= self.noise else rng.choice(self.classes)
            return rng.choice(_TOPICS[topic][kind])

        words = [rng.choice(_DETERMINERS), word(2), word(0), word(1), rng.choice(_DETERMINERS), word(0)]
        for _ in range(rng.randrange(0, 6)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(_FILLERS) if rng.random() < 0.6 else word(0))
        sentence = " ".join(words)
        return sentence[0].upper() + sentence[1:] + rng.choice([".", ".", "!", "?"])

    def extra_repr(self) -> str:
        return f"classes={self.classes}, noise={self.noise}, seed={self.seed}"
