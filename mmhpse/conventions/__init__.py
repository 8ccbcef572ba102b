from .keypoints import (FILE_CONVENTION_ALIASES, H36M_TO_LSP14, KEYPOINTS, convert_kps,
                        get_flip_indices, get_keypoint_names, get_keypoint_num, get_mapping,
                        names_to_indices, resolve_convention)

__all__ = [
    'KEYPOINTS', 'FILE_CONVENTION_ALIASES', 'H36M_TO_LSP14', 'convert_kps', 'get_mapping',
    'get_flip_indices', 'get_keypoint_names', 'get_keypoint_num', 'names_to_indices',
    'resolve_convention'
]
