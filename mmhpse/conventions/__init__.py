from .keypoints import (BASE_CONVENTIONS, FILE_CONVENTION_ALIASES, H36M_TO_LSP14, KEYPOINTS,
                        ROOT_JOINTS, convert_kps, get_flip_indices, get_keypoint_names,
                        get_keypoint_num, get_mapping, get_root_indices, names_to_indices,
                        resolve_convention, same_joints)

__all__ = [
    'KEYPOINTS', 'FILE_CONVENTION_ALIASES', 'H36M_TO_LSP14', 'ROOT_JOINTS', 'BASE_CONVENTIONS',
    'convert_kps', 'get_mapping', 'get_flip_indices', 'get_keypoint_names', 'get_keypoint_num',
    'get_root_indices', 'names_to_indices', 'resolve_convention', 'same_joints'
]
