"""mmhpse: backbone pre-training studies for 3D human pose and shape estimation (OpenMMLab).

Importing the package installs mmhpse's safe checkpoint loader into mmengine
(see :mod:`mmhpse.utils.checkpoint`) and registers every module, so a config of any scope can use
mmhpse through ``custom_imports=dict(imports=['mmhpse'])``.
"""
from .version import __version__
from . import utils  # noqa: F401,E402  (installs the checkpoint loader)

__all__ = ['__version__']
