from mmhpse.datasets.transforms import two_view  # noqa: F401  (JointCon's transforms)
from .jointcon import JointCon  # noqa: F401
from .detcon import DetCon  # noqa: F401
