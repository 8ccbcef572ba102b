from .mesh_losses import (CameraPriorLoss, Keypoint3DLoss, KeypointLoss, SMPLBetasLoss,
                          SMPLPoseLoss, masked_mean)

__all__ = [
    'KeypointLoss', 'Keypoint3DLoss', 'SMPLPoseLoss', 'SMPLBetasLoss', 'CameraPriorLoss',
    'masked_mean'
]
