from . import transforms  # noqa: F401
from .human_data import AnnotationError, HumanAnnotations  # noqa: F401
from .human_image_dataset import HumanImageDataset  # noqa: F401
from .label_fraction import draw_label_fractions, load_indices, save_indices  # noqa: F401
from .mixed_dataset import MixedDataset, MixedEpochSampler  # noqa: F401
