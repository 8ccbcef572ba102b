from .keypoints import (BASE_CONVENTIONS, FILE_CONVENTION_ALIASES, H36M_TO_LSP14, KEYPOINTS,
                        ROOT_JOINTS, convert_kps, get_flip_indices, get_keypoint_names,
                        get_keypoint_num, get_mapping, get_root_indices, names_to_indices,
                        resolve_convention, same_joints)
from .midpoints import check_midpoint_joints, fill_midpoints, midpoint_mappings

__all__ = [
    'KEYPOINTS', 'FILE_CONVENTION_ALIASES', 'H36M_TO_LSP14', 'ROOT_JOINTS', 'BASE_CONVENTIONS',
    'check_midpoint_joints', 'convert_kps', 'fill_midpoints', 'get_mapping', 'get_flip_indices',
    'get_keypoint_names', 'get_keypoint_num', 'get_root_indices', 'midpoint_mappings',
    'names_to_indices', 'resolve_convention', 'same_joints'
]
