"""DetCon-B as in DeepMind's code: the NCE loss against a brute-force reference, masks on the C5
grid (majority per cell), per-view mask draws, mask pooling, and a model step."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

import mmhpse.selfsup  # noqa: F401  registers DetCon (mmpretrain scope)
from mmhpse.selfsup.algorithms import detcon as detcon_module
from mmhpse.selfsup.algorithms.detcon import (DetCon, detcon_nce_direction, grid_masks,
                                              mask_pool, sample_mask_ids)


@pytest.fixture(autouse=True)
def _mmpretrain_scope():
    """DetCon builds its parts in mmpretrain's registries; earlier tests in the session may have
    left another default scope current."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def _ref_direction(pred, ids, t_other, other_ids, t_same, same_ids, offset, tau):
    """Loops over anchors: softmax over every target of both views except the anchor's own object
    in its own view; target distribution uniform over the same image's same id in the other view;
    weight [has a positive] / (times its id was drawn for its image in its view); the mean over
    all B * S anchors (DeepMind's jnp.mean of weight * CE)."""
    B, S, _ = pred.shape
    N = t_other.shape[0]
    total = 0.0
    for b in range(B):
        for s in range(S):
            logits, labels = [], []
            for view, tgt, tids in (('other', t_other, other_ids), ('same', t_same, same_ids)):
                for n in range(N):
                    for t in range(S):
                        same_obj = n == b + offset and tids[n, t] == ids[b, s]
                        if view == 'same' and same_obj:
                            continue
                        logits.append(float(np.dot(pred[b, s], tgt[n, t])) / tau)
                        labels.append(1.0 if (view == 'other' and same_obj) else 0.0)
            labels = np.array(labels)
            if labels.sum() == 0:
                continue  # weight 0, still counted in the mean
            logits = np.array(logits)
            logp = logits - (np.log(np.exp(logits - logits.max()).sum()) + logits.max())
            ce = -(labels / labels.sum() * logp).sum()
            total += ce / np.sum(ids[b] == ids[b, s])
    return total / (B * S)


def _norm(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.mark.parametrize('offset', [0, 2])
def test_loss_matches_bruteforce(offset):
    """FIDELITY 2c / 2d: ids drawn per view (so some anchors have no positive), repeated ids,
    targets of other replicas, the mean over all anchors."""
    rng = np.random.default_rng(offset)
    B, N, S, D = 2, 5, 4, 8
    pred = _norm(rng.normal(size=(B, S, D)))
    t_other, t_same = _norm(rng.normal(size=(N, S, D))), _norm(rng.normal(size=(N, S, D)))
    other_ids, same_ids = rng.integers(0, 4, size=(N, S)), rng.integers(0, 4, size=(N, S))
    ids = same_ids[offset:offset + B]
    ref = _ref_direction(pred, ids, t_other, other_ids, t_same, same_ids, offset, 0.1)
    t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    got = detcon_nce_direction(t(pred), torch.as_tensor(ids), t(t_other),
                               torch.as_tensor(other_ids), t(t_same), torch.as_tensor(same_ids),
                               offset, temperature=0.1)
    assert abs(float(got) - ref) < 1e-9
    no_positive = ~(ids[:, :, None] == other_ids[offset:offset + B][:, None, :]).any(-1)
    assert no_positive.any() and not no_positive.all()  # both kinds of anchors were tested


def test_loss_is_low_for_aligned_embeddings():
    """Targets equal to the predictions of distinct objects: the positive wins the softmax."""
    S, D = 4, 16
    emb = F.normalize(torch.eye(D)[:2 * S].reshape(2, S, D), dim=-1)
    ids = torch.arange(S).repeat(2, 1)
    low = detcon_nce_direction(emb, ids, emb, ids, emb, ids, 0, 0.1)
    shuffled = emb[:, torch.tensor([1, 2, 3, 0])]
    high = detcon_nce_direction(emb, ids, shuffled, ids, shuffled, ids, 0, 0.1)
    assert float(low) < 1e-3 < float(high)


def test_grid_masks_take_the_majority_id_of_each_block():
    """FIDELITY 2b: each C5 cell belongs to the mask covering most of its block (DeepMind: average
    pooling of the binary masks, then argmax over the ids, ties to the smallest id)."""
    rng = np.random.default_rng(3)
    masks = rng.integers(0, 4, size=(3, 12, 8))
    masks[0, :6, :4] = [[5, 5, 2, 2]] * 6  # a tie between 2 and 5 in the top-left block
    got = grid_masks(torch.as_tensor(masks), (2, 2)).numpy()
    for b in range(3):
        for i in range(2):
            for j in range(2):
                block = masks[b, 6 * i:6 * i + 6, 4 * j:4 * j + 4].ravel().tolist()
                counts = {v: block.count(v) for v in set(block)}
                best = min(v for v in counts if counts[v] == max(counts.values()))
                assert got[b, i, j] == best, (b, i, j)
    assert got[0, 0, 0] == 2
    with pytest.raises(ValueError, match='do not divide into the 5x2 feature grid'):
        grid_masks(torch.as_tensor(masks), (5, 2))


def test_mask_pool_is_the_mean_over_the_cells_of_a_mask():
    feats = torch.arange(2 * 2 * 2, dtype=torch.float32).reshape(1, 2, 2, 2)  # C=2, 2x2 grid
    cells = torch.tensor([[[1, 0], [0, 1]]])
    out = mask_pool(feats, cells, torch.tensor([[1, 0, 7]]))
    assert torch.allclose(out[0, 0], (feats[0, :, 0, 0] + feats[0, :, 1, 1]) / 2)
    assert torch.allclose(out[0, 1], (feats[0, :, 0, 1] + feats[0, :, 1, 0]) / 2)
    assert torch.equal(out[0, 2], torch.zeros(2))  # an id that owns no cell


def test_sample_mask_ids_uniform_among_the_ids_on_the_grid():
    """FIDELITY 2c: per view, uniform with replacement among the masks present on its grid."""
    cells = torch.tensor([[[0, 3], [3, 9]], [[4, 4], [4, 4]]])
    ids = sample_mask_ids(cells, 6000, generator=torch.Generator().manual_seed(0))
    assert set(ids[0].tolist()) == {0, 3, 9} and set(ids[1].tolist()) == {4}
    freq = np.bincount(ids[0].numpy(), minlength=10)[[0, 3, 9]] / 6000
    assert np.abs(freq - 1 / 3).max() < 0.03  # by mask, not by area (3 owns 2 cells)


def test_model_step_draws_per_view_and_target_reuses_the_draws(monkeypatch):
    torch.manual_seed(0)
    model = DetCon(
        backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                      out_indices=(3, ), norm_cfg=dict(type='BN')),
        neck=dict(type='NonLinearNeck', in_channels=64, hid_channels=32, out_channels=16,
                  num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=False,
                  norm_cfg=dict(type='BN1d')),
        predictor=dict(type='NonLinearNeck', in_channels=16, hid_channels=32, out_channels=16,
                       num_layers=2, with_bias=True, with_last_bn=False, with_avg_pool=False,
                       norm_cfg=dict(type='BN1d')),
        num_samples=4)
    calls = []
    original = detcon_module.sample_mask_ids
    monkeypatch.setattr(detcon_module, 'sample_mask_ids',
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    masks = np.zeros((2, 2, 64, 64), np.int64)
    masks[:, :, :, 32:] = 1
    masks[:, 1, :32] += 2  # view 2: ids 2, 3 on top, 0, 1 below
    samples = []
    for b in range(2):
        s = DataSample()
        s.set_field(masks[b], 'view_masks')
        samples.append(s)
    losses = model.loss([torch.randn(2, 3, 64, 64), torch.randn(2, 3, 64, 64)], samples)
    assert len(calls) == 2  # one draw per view; the target network reuses them
    assert torch.isfinite(losses['loss']) and 0 < float(losses['positive_ratio']) < 1
    losses['loss'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    with pytest.raises(KeyError, match='view_masks'):
        model.loss([torch.randn(2, 3, 64, 64)] * 2, [DataSample(), DataSample()])
