import torch

from mmhpse.models.heads import HMRHead
from mmhpse.models.utils import load_smpl_mean_params
from mmhpse.utils.geometry import rot6d_to_rotmat


def test_hmr_shapes_and_pooling():
    torch.manual_seed(0)
    head = HMRHead(in_channels=16, hidden_dim=32).eval()
    x = torch.randn(2, 16, 4, 3)
    out = head((x, ))
    assert out['pred_pose'].shape == (2, 24, 3, 3)
    assert out['pred_betas'].shape == (2, 10)
    assert out['pred_cam'].shape == (2, 3)
    # a 4-D map is average pooled: same as giving the pooled vector
    pooled = head(x.mean(dim=(2, 3)))
    for key in ('pred_pose', 'pred_betas', 'pred_cam'):
        torch.testing.assert_close(out[key], pooled[key])


def test_hmr_zeroed_decoders_return_mean_and_iterations_accumulate():
    head = HMRHead(in_channels=8, hidden_dim=16, num_iters=3).eval()
    with torch.no_grad():
        for layer in (head.decpose, head.decshape, head.deccam):
            layer.weight.zero_()
            layer.bias.zero_()
    out = head(torch.randn(2, 8, 3, 3))
    mean = load_smpl_mean_params(None)
    torch.testing.assert_close(out['pred_pose'],
                               rot6d_to_rotmat(mean['pose'].reshape(24, 6)).expand(2, 24, 3, 3))
    torch.testing.assert_close(out['pred_betas'], mean['shape'].expand(2, 10))
    torch.testing.assert_close(out['pred_cam'], mean['cam'].expand(2, 3))
    # with a constant delta (zero weights, bias d) each of the 3 iterations adds d
    with torch.no_grad():
        head.deccam.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
    out = head(torch.randn(2, 8, 3, 3))
    torch.testing.assert_close(out['pred_cam'],
                               (mean['cam'] + 3 * torch.tensor([0.1, 0.2, -0.3])).expand(2, 3))
