from .common_transforms import (HumanGetBBoxCenterScale, HumanRandomBBoxTransform,
                                HumanRandomFlip, rotation_matrix_z)
from .formatting import PackHumanInputs
from .loading import (LoadHumanImage, get_bad_image_count, get_bad_image_reasons,
                      last_bad_image, reset_bad_image_count)
from .photometric import ColorJitterScale, RandomOcclusion, apply_color_scale
from .topdown_affine import HumanTopdownAffine, fix_aspect_ratio

__all__ = [
    'LoadHumanImage', 'get_bad_image_count', 'get_bad_image_reasons', 'last_bad_image',
    'reset_bad_image_count', 'HumanGetBBoxCenterScale',
    'HumanRandomFlip', 'HumanRandomBBoxTransform', 'rotation_matrix_z', 'ColorJitterScale',
    'apply_color_scale', 'RandomOcclusion', 'HumanTopdownAffine', 'fix_aspect_ratio',
    'PackHumanInputs'
]
