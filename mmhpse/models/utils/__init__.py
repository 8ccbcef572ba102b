from .camera import (CropCamera, SigmoidDepthCamera, WeakPerspectiveCamera, crop_norm_size,
                     normalized_to_pixels, perspective_projection, pixels_to_normalized,
                     weak_perspective_to_translation)
from .mean_params import load_smpl_mean_params

__all__ = [
    'crop_norm_size', 'weak_perspective_to_translation', 'perspective_projection',
    'pixels_to_normalized', 'normalized_to_pixels', 'load_smpl_mean_params', 'CropCamera',
    'WeakPerspectiveCamera', 'SigmoidDepthCamera'
]
