from . import metrics  # noqa: F401
from .functional import batched_procrustes, mpjpe, mpvpe, pa_mpjpe  # noqa: F401
