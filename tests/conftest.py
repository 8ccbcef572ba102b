"""Shared pytest fixtures (keep additions small and session-scoped where they are expensive)."""
import pytest


@pytest.fixture(scope='session')
def surrogate_body_model_dir(tmp_path_factory):
    """A small surrogate body-model folder (mmhuman3d layout), generated once per session:
    ``smpl/SMPL_{NEUTRAL,MALE,FEMALE}.pkl``, ``J_regressor_h36m.npy``, ``J_regressor_extra.npy``,
    ``smpl_mean_params.npz``."""
    from mmhpse.models.body_models.surrogate import write_surrogate_body_model
    out = tmp_path_factory.mktemp('body_models')
    write_surrogate_body_model(str(out), num_vertices=600, seed=0)
    return str(out)
