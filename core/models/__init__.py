"""triptych.models: model builders and their pretrained weights, for every domain.

The torchvision.models API: each checkpoint is a :class:`Weights` record (URLs, sha256, size,
inference transforms, meta such as ``categories``, ``sample_rate``, ``labels``, ``metrics``,
``license``), grouped per model in a :class:`WeightsEnum` with a ``DEFAULT`` alias. A domain
registers its builders from its own ``models`` package with :func:`register_model`; the weight
tables live apart from the model code.

Files download through :func:`triptych.datasets.download` into ``$TRIPTYCH_HOME/weights``
(``TRIPTYCH_OFFLINE=1``: no network) and load with safetensors or
``torch.load(weights_only=True)``. ``weights=`` also takes a local path or a ``file://`` URL.

Example:
    >>> from triptych.models import get_model_weights, get_weight, list_models
    >>> list_models("resnet1*")
    ['resnet18']
    >>> weights = get_weight("ResNet18_Weights.DEFAULT")
    >>> weights, len(weights.meta["categories"]), weights.sha256_is_prefix
    (ResNet18_Weights.IMAGENET1K_V1, 1000, True)
    >>> get_model_weights("resnet18").DEFAULT is weights
    True
"""

from ._api import (
    ModelEntry,
    get_model,
    get_model_weights,
    get_weight,
    list_models,
    model_entry,
    register_model,
)
from ._hub import (
    build_model,
    check_num_classes,
    download_weights,
    load_state_dict_file,
    load_weights,
    save_state_dict_file,
)
from ._weights import LocalWeights, Weights, WeightsEnum, resolve_weights

__all__ = [
    "LocalWeights",
    "ModelEntry",
    "Weights",
    "WeightsEnum",
    "build_model",
    "check_num_classes",
    "download_weights",
    "get_model",
    "get_model_weights",
    "get_weight",
    "list_models",
    "load_state_dict_file",
    "load_weights",
    "model_entry",
    "register_model",
    "resolve_weights",
    "save_state_dict_file",
]
