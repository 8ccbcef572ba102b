from .checkpoint import (UnsafeCheckpointError, decode_safe, encode_safe,
                         load_external_checkpoint)
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'load_external_checkpoint', 'encode_safe', 'decode_safe',
    'UnsafeCheckpointError'
]
from . import mmcv_compat  # noqa: F401,E402  (mmcv adjust_hue under numpy 2)
