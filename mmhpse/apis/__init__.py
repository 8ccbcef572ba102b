from .inference import (CheckpointHashError, file_sha256, inference_mesh_model, init_model,
                        verify_checkpoint_hash)
from .zoo import find_model, list_models, resolve_model

__all__ = [
    'init_model', 'inference_mesh_model', 'verify_checkpoint_hash', 'file_sha256',
    'CheckpointHashError', 'find_model', 'list_models', 'resolve_model'
]
