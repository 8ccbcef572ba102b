from .smpl import SMPL, SMPL_49_JOINT_MAP
from .smpl_io import load_smpl_file
from .surrogate import build_surrogate_smpl, write_surrogate_body_model

__all__ = [
    'SMPL', 'SMPL_49_JOINT_MAP', 'load_smpl_file', 'build_surrogate_smpl',
    'write_surrogate_body_model'
]
