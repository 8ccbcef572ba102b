# HMR / SPIN regressor on ResNet-50: global average pooled C5 -> 3 iterations of
# [fc 1024, dropout, fc 1024, dropout] -> deltas of (pose, shape, camera) from the mean.
_base_ = ['./pare_resnet50.py']
model = dict(
    head=dict(
        _delete_=True,
        type='HMRHead',
        in_channels=2048,
        hidden_dim=1024,
        num_iters=3,
        smpl_mean_params='data/body_models/smpl_mean_params.npz'))
