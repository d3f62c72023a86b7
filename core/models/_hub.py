"""Fetching, verifying and loading checkpoints.

Files come through :func:`triptych.datasets.download` (resume, retries, mirrors, lock,
``TRIPTYCH_OFFLINE``) into ``$TRIPTYCH_HOME/weights``. They load with safetensors (``.safetensors``
files) or ``torch.load(..., weights_only=True)``: never a pickle that can run code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from triptych import paths

from ._weights import LocalWeights, WeightsEnum, resolve_weights


def weights_root(root: str | os.PathLike | None = None) -> Path:
    """``root``, or the weights cache ``$TRIPTYCH_HOME/weights``."""
    return Path(root).expanduser() if root is not None else paths.weights_dir()


def download_weights(weights: WeightsEnum, *, progress: bool = True,
                     root: str | os.PathLike | None = None) -> Path:
    """Fetch ``weights`` once into ``root`` (default ``$TRIPTYCH_HOME/weights``), verified.

    The file comes through :func:`triptych.datasets.download`: a file already there and
    verified makes no request; ``TRIPTYCH_OFFLINE=1`` makes none at all. Where the publisher
    gives only a sha256 prefix (``sha256_is_prefix``, torchvision's checkpoints), the file's
    sha256 must start with it and its size must match.

    Raises:
        triptych.datasets.DownloadError: no URL gave the right bytes.
        triptych.datasets.OfflineError: ``TRIPTYCH_OFFLINE=1`` and the file is not on disk.
    """
    from triptych.datasets import download

    return download(list(weights.urls), weights_root(root), sha256=weights.sha256,
                    sha256_is_prefix=weights.sha256_is_prefix, filename=weights.filename,
                    size=weights.size, progress=progress)


def load_state_dict_file(path: str | os.PathLike) -> dict[str, Any]:
    """Load a checkpoint file as a ``{name: tensor}`` dict, on the CPU, without unpickling code.

    ``.safetensors`` files need the ``safetensors`` package; anything else goes through
    ``torch.load(path, map_location="cpu", weights_only=True)``.
    """
    import torch

    path = Path(path)
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise ImportError(f"loading {path} needs safetensors: pip install safetensors") from None
        state = load_file(str(path), device="cpu")
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as exc:  # UnpicklingError, RuntimeError (not a zip), EOFError, ...
            raise ValueError(f"cannot load weights from {path}: {exc}") from exc
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        kind = type(state).__name__
        keys = list(state)[:5] if isinstance(state, dict) else []
        raise ValueError(f"{path} does not hold a state_dict (name -> tensor): got a {kind}"
                         + (f" with keys {keys}" if keys else ""))
    return state


def save_state_dict_file(model_or_state, path: str | os.PathLike) -> Path:
    """Write a model's ``state_dict`` (or a ``{name: tensor}`` dict) where
    :func:`load_state_dict_file` and ``get_model(name, weights=path)`` read it; return the path.

    ``.safetensors`` files need the ``safetensors`` package; any other suffix is written with
    ``torch.save``. With no suffix, ``.safetensors`` is added when safetensors is installed,
    else ``.pth``. Tensors are saved detached, contiguous and on the CPU; the file is written
    next to its final name and renamed into place, so it is never left half-written.

    Example:
        >>> import tempfile, torch
        >>> from triptych.models import load_state_dict_file, save_state_dict_file
        >>> path = save_state_dict_file(torch.nn.Linear(2, 3), f"{tempfile.mkdtemp()}/linear")
        >>> sorted(load_state_dict_file(path)), path.suffix in (".safetensors", ".pth")
        (['bias', 'weight'], True)
    """
    import torch

    state = model_or_state.state_dict() if isinstance(model_or_state, torch.nn.Module) \
        else model_or_state
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise TypeError("model_or_state must be an nn.Module or a {name: tensor} dict, got "
                        f"{type(model_or_state).__name__}")
    path = Path(path)
    if not path.suffix:
        try:
            import safetensors.torch  # noqa: F401
        except ImportError:
            path = path.with_suffix(".pth")
        else:
            path = path.with_suffix(".safetensors")
    state = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        if path.suffix == ".safetensors":
            try:
                from safetensors.torch import save_file
            except ImportError:
                raise ImportError(f"saving {path} needs safetensors: pip install safetensors "
                                  "(or save to a .pth path)") from None
            save_file(state, str(partial))
        else:
            torch.save(state, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def check_num_classes(weights: Any, num_classes: int) -> None:
    """ValueError if ``weights`` list categories and ``num_classes`` is not their number."""
    if isinstance(weights, WeightsEnum) and "categories" in weights.meta:
        expected = len(weights.meta["categories"])
        if num_classes != expected:
            raise ValueError(
                f"num_classes={num_classes} does not fit {weights!r}, which has {expected} "
                f"categories: leave num_classes out (or pass {expected}) to use these weights, "
                "or build with weights=None and train a new head"
            )


def build_model(weights_enum: type[WeightsEnum] | None, weights: Any, make, *, progress: bool = True,
                num_classes: int | None = None):
    """The steps every builder takes: check ``weights``, build, load; return the model.

    ``weights`` is checked against ``weights_enum`` (a member, its name, ``"DEFAULT"``, a local
    path or ``file://`` URL, or None; ``weights_enum=None``: a model with no published weights
    takes only None or a local checkpoint); when ``num_classes`` is given it must fit the weights'
    categories; ``make(weights)`` builds the randomly initialised model (it gets the verified
    weights so it can refuse an option they do not fit); the weights then load with
    ``strict=True`` through :func:`load_weights`.

    Example:
        >>> from torch import nn
        >>> from triptych.models import build_model
        >>> build_model(None, None, lambda weights: nn.Linear(2, 3))
        Linear(in_features=2, out_features=3, bias=True)
    """
    weights = resolve_weights(weights, weights_enum)
    if num_classes is not None:
        check_num_classes(weights, num_classes)
    model = make(weights)
    if weights is not None:
        load_weights(model, weights, progress=progress)
    return model


def load_weights(model, weights: WeightsEnum | LocalWeights, *, progress: bool = True,
                 root: str | os.PathLike | None = None):
    """Load ``weights`` into ``model`` with ``strict=True``; return the model.

    Every missing, unexpected or mis-shaped tensor is named in one ValueError (load_state_dict
    would stop at the first, with less context).
    """
    state = weights.get_state_dict(progress=progress, root=root)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} ({list(state[k].shape)} in the weights, {list(own[k].shape)} in the model)"
              for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        problems = [f"{what} {_few(items)}" for what, items in
                    (("shape mismatch for", shapes), ("missing", missing), ("unexpected", unexpected))
                    if items]
        raise ValueError(f"weights {weights.full_name} do not fit {type(model).__name__}: "
                         + "; ".join(problems))
    model.load_state_dict(state, strict=True)
    return model


def _few(items: list[str], n: int = 5) -> str:
    more = f" (+{len(items) - n} more)" if len(items) > n else ""
    return ", ".join(items[:n]) + more
