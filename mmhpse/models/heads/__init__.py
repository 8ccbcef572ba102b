from .hmr_head import HMRHead
from .multiscale_fuse import MultiScaleFuseNeck
from .pare_head import LocallyConnectedLinear, PAREC5Head, PAREHead, part_attention_pool

__all__ = [
    'PAREHead', 'PAREC5Head', 'HMRHead', 'MultiScaleFuseNeck', 'LocallyConnectedLinear',
    'part_attention_pool'
]
