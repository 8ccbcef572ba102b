from .masks import LoadFelzenszwalbMask, MaskedRandomResizedCrop, MultiViewWithMasks
from .two_view import AddMidpointJoints, ClippedBBoxTransform, RandomChannelScale, TwoViewPose

__all__ = [
    'LoadFelzenszwalbMask', 'MaskedRandomResizedCrop', 'MultiViewWithMasks', 'AddMidpointJoints',
    'ClippedBBoxTransform', 'RandomChannelScale', 'TwoViewPose'
]
