"""Where the shared real-data fixtures are: ``../shared/fixtures`` beside the checkout (CI lays a
copy there), or ``$MMHPSE_FIXTURES``. Tests that need them skip with the path in the reason."""
import os
import os.path as osp

from .tool_runner import REPO

FIXTURES = os.environ.get('MMHPSE_FIXTURES') or osp.normpath(
    osp.join(REPO, osp.pardir, 'shared', 'fixtures'))
COCO_FIXTURES = osp.join(FIXTURES, 'coco')
SMPL_MEAN_PARAMS = osp.join(FIXTURES, 'smpl', 'smpl_mean_params.npz')
