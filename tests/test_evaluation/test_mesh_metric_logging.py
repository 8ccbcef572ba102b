"""The metric's keys reach mmengine's ``vis_data/scalars.json`` as ``<prefix>/<name>``."""
import glob
import json
import os.path as osp

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmhpse.models.body_models import SMPL
from mmhpse.structures import HumanDataSample


class _EchoEstimator(BaseModel):
    """Returns its data samples, which already carry the predicted vertices."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return data_samples


class _Samples(Dataset):

    def __init__(self, model_dir, n=4):
        rng = np.random.default_rng(0)
        self.pose = rng.normal(scale=0.3, size=(n, 24, 3)).astype(np.float32)
        self.betas = rng.normal(scale=0.5, size=(n, 10)).astype(np.float32)
        body = SMPL(osp.join(model_dir, 'smpl'), gender='neutral')
        with torch.no_grad():
            gt = body(global_orient=torch.from_numpy(self.pose[:, 0]),
                      body_pose=torch.from_numpy(self.pose[:, 1:].reshape(n, 69)),
                      betas=torch.from_numpy(self.betas))['vertices']
        self.pred = gt + 0.01  # a 1 cm shift: removed by the pelvis centring

    def __len__(self):
        return len(self.pose)

    def __getitem__(self, i):
        s = HumanDataSample(metainfo=dict(sample_idx=i, gender='neutral'))
        s.gt_pose = torch.from_numpy(self.pose[i])
        s.gt_betas = torch.from_numpy(self.betas[i])
        s.has_smpl = torch.tensor(True)
        s.pred_vertices = self.pred[i]
        return dict(inputs=torch.zeros(3, 4, 4), data_samples=s)


def test_prefixed_keys_in_scalars_json(surrogate_body_model_dir, tmp_path):
    runner = Runner(
        model=_EchoEstimator(),
        work_dir=str(tmp_path),
        val_dataloader=dict(
            dataset=_Samples(surrogate_body_model_dir),
            batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate')),
        val_cfg=dict(),
        val_evaluator=dict(
            type='MeshMetric',
            dataset='3dpw',
            gt_gender=False,
            body_model=dict(type='SMPL', model_path=osp.join(surrogate_body_model_dir, 'smpl'))),
        # mmengine's own visualizer and JSON-writing backend, whatever mmhpse registers
        visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')],
                        _scope_='mmengine'),
        default_scope='mmhpse')
    metrics = runner.val()
    assert set(metrics) == {'3dpw/mpjpe', '3dpw/pa-mpjpe', '3dpw/pve'}
    files = glob.glob(osp.join(str(tmp_path), '*', 'vis_data', 'scalars.json'))
    assert len(files) == 1
    with open(files[0]) as f:
        logged = [json.loads(line) for line in f if line.strip()]
    record = next(r for r in logged if '3dpw/pa-mpjpe' in r)
    assert {'3dpw/mpjpe', '3dpw/pa-mpjpe', '3dpw/pve'} <= set(record)
    assert max(record['3dpw/mpjpe'], record['3dpw/pa-mpjpe'], record['3dpw/pve']) < 1e-3
