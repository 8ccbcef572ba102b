"""mmhpse: backbone pre-training studies for 3D human pose and shape estimation (OpenMMLab).

Importing the package installs mmhpse's safe checkpoint loader into mmengine
(:mod:`mmhpse.utils.checkpoint`) and the numpy-2 fix of mmcv's ``adjust_hue``
(:mod:`mmhpse.utils.mmcv_compat`). Modules register themselves when their sub-package is imported:
``mmhpse.utils.register_all_modules()`` for mmhpse-scope code, and
``custom_imports=dict(imports=['mmhpse.selfsup'])`` in mmpretrain-scope configs (JointCon,
DetCon, their transforms and the COCO person-crop dataset).
"""
from .version import __version__
from . import utils  # noqa: F401,E402  (installs the checkpoint loader)

__all__ = ['__version__']
