"""mmhpse: pre-training studies for 3D human pose and shape estimation on OpenMMLab."""
from .version import __version__

__all__ = ['__version__']
