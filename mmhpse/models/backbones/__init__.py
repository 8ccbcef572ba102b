from .extract import (BackboneExtractionError, extract_resnet_backbone, find_backbone_prefixes,
                      resnet_state_shapes)
from .pretrained import IncompleteCheckpointError, StrictPretrainedInit, load_state_dict_strict

__all__ = [
    'BackboneExtractionError', 'extract_resnet_backbone', 'find_backbone_prefixes',
    'resnet_state_shapes', 'IncompleteCheckpointError', 'StrictPretrainedInit',
    'load_state_dict_strict'
]
