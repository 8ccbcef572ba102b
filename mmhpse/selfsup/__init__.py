"""Self-supervised pre-training, registered in mmpretrain's scope (``MODELS``, ``TRANSFORMS``,
``DATASETS``): the algorithms (JointCon, DetCon), their heads, the two-view and mask transforms and
the COCO person-crop dataset. ``custom_imports=dict(imports=['mmhpse.selfsup'])`` is all an SSL
config needs; nothing else in mmhpse registers into mmpretrain's registries.
"""
from . import algorithms, datasets, heads, transforms  # noqa: F401  (register on import)
from .algorithms import DetCon, JointCon
from .heads import SupConHead

__all__ = ['DetCon', 'JointCon', 'SupConHead']
