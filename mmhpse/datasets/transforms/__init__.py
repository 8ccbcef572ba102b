from .common_transforms import (GetBBoxCenterScale, RandomBBoxTransform, RandomFlip,
                                rotation_matrix_z)
from .formatting import PackHumanInputs
from .loading import LoadImage, get_bad_image_count, reset_bad_image_count
from .photometric import ColorJitterScale, RandomOcclusion, apply_color_scale
from .topdown_affine import TopdownAffine, fix_aspect_ratio

__all__ = [
    'LoadImage', 'get_bad_image_count', 'reset_bad_image_count', 'GetBBoxCenterScale',
    'RandomFlip', 'RandomBBoxTransform', 'rotation_matrix_z', 'ColorJitterScale',
    'apply_color_scale', 'RandomOcclusion', 'TopdownAffine', 'fix_aspect_ratio', 'PackHumanInputs'
]
