from . import metrics  # noqa: F401
from .functional import batched_procrustes, mpjpe, mpvpe, pa_mpjpe  # noqa: F401
from .protocol_switches import apply_protocol_switches, pw3d_gt_genders  # noqa: F401
