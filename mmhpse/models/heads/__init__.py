from .hmr_head import HMRHead
from .mesh_head import MeshRegressionHead
from .multiscale_fuse import MultiScaleFuseNeck
from .pare_head import LocallyConnectedLinear, PAREC5Head, PAREHead, part_attention_pool

__all__ = [
    'MeshRegressionHead', 'PAREHead', 'PAREC5Head', 'HMRHead', 'MultiScaleFuseNeck',
    'LocallyConnectedLinear', 'part_attention_pool'
]
