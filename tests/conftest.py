"""Shared pytest fixtures (keep additions small and session-scoped where they are expensive)."""
import pytest

# pyrender's OSMesa (set up by the procedural-rendering tests when they are collected) loads an LLVM
# that clashes with triton's: importing triton after it segfaults the process, and torchvision.ops
# imports torch._dynamo, which imports triton. Loading triton first avoids the clash.
try:
    import triton  # noqa: F401
except ImportError:
    pass


@pytest.fixture(scope='session')
def surrogate_body_model_dir(tmp_path_factory):
    """A small surrogate body-model folder (mmhuman3d layout), generated once per session:
    ``smpl/SMPL_{NEUTRAL,MALE,FEMALE}.pkl``, ``J_regressor_h36m.npy``, ``J_regressor_extra.npy``,
    ``smpl_mean_params.npz``."""
    from mmhpse.models.body_models.surrogate import write_surrogate_body_model
    out = tmp_path_factory.mktemp('body_models')
    write_surrogate_body_model(str(out), num_vertices=600, seed=0)
    return str(out)


@pytest.fixture
def mmengine_log():
    """Messages that mmengine's current logger emits during the test (``print_log(...,
    logger='current')``), whatever stream its handlers were bound to by earlier tests."""
    import logging

    from mmengine.logging import MMLogger

    class Records(logging.Handler):

        def __init__(self):
            super().__init__()
            self.messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Records()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def _isolated_default_scope():
    """Drop the mmengine ``DefaultScope`` instances a test creates (a Runner or
    ``init_default_scope`` makes its scope the current one for the whole process), so that a test
    of another scope cannot change the registry lookups of the tests after it."""
    from mmengine.registry import DefaultScope
    before = set(DefaultScope._instance_dict)
    yield
    for name in set(DefaultScope._instance_dict) - before:
        del DefaultScope._instance_dict[name]
