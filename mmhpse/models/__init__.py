# Each sub-package registers its modules on import.
from . import backbones, body_models, estimators, heads, losses  # noqa: F401
