"""DetCon-B: loss against a brute-force numpy reference, mask pooling, sampling, a train step."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmhpse.selfsup.algorithms.detcon import (detcon_nce_direction, detcon_nce_loss, mask_pool,
                                              sample_mask_ids)


def _ref_direction(pred, ids, valid, t_other, t_same, t_ids, t_valid, offset, tau):
    """Loops over anchors: softmax over all valid targets of both views except the anchor's own
    object in its own view; target distribution uniform over the same object in the other view;
    anchor weight 1 / (times its id was drawn for its image)."""
    B, S, _ = pred.shape
    N = t_other.shape[0]
    num, den = 0.0, 0.0
    for b in range(B):
        for s in range(S):
            if not valid[b, s]:
                continue
            logits, labels = [], []
            for view, tgt in (('other', t_other), ('same', t_same)):
                for n in range(N):
                    for t in range(S):
                        if not t_valid[n, t]:
                            continue
                        same_obj = n == b + offset and t_ids[n, t] == ids[b, s]
                        if view == 'same' and same_obj:
                            continue
                        logits.append(float(np.dot(pred[b, s], tgt[n, t])) / tau)
                        labels.append(1.0 if (view == 'other' and same_obj) else 0.0)
            labels = np.array(labels)
            if labels.sum() == 0:
                continue
            logits = np.array(logits)
            logp = logits - (np.log(np.exp(logits - logits.max()).sum()) + logits.max())
            ce = -(labels / labels.sum() * logp).sum()
            w = 1.0 / np.sum(ids[b] == ids[b, s])
            num += w * ce
            den += w
    return num / den


def _norm(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.mark.parametrize('offset', [0, 2])
def test_loss_matches_bruteforce(offset):
    rng = np.random.default_rng(offset)
    B, N, S, D = 2, 5, 4, 8
    pred1, pred2 = _norm(rng.normal(size=(B, S, D))), _norm(rng.normal(size=(B, S, D)))
    tgt1, tgt2 = _norm(rng.normal(size=(N, S, D))), _norm(rng.normal(size=(N, S, D)))
    t_ids = rng.integers(0, 3, size=(N, S))  # repeated ids: duplicated positives and weights
    t_valid = np.ones((N, S), bool)
    t_valid[offset + 1 if offset + 1 < N else 0] = False  # an image whose views share no mask
    t_valid[4] = False
    ids, valid = t_ids[offset:offset + B], t_valid[offset:offset + B]
    ref = (_ref_direction(pred1, ids, valid, tgt2, tgt1, t_ids, t_valid, offset, 0.1)
           + _ref_direction(pred2, ids, valid, tgt1, tgt2, t_ids, t_valid, offset, 0.1))
    t = lambda a: torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    got = detcon_nce_loss(t(pred1), t(pred2), t(tgt1), t(tgt2), torch.as_tensor(ids),
                          torch.as_tensor(valid), torch.as_tensor(t_ids), torch.as_tensor(t_valid),
                          offset, temperature=0.1)
    assert abs(float(got) - ref) < 1e-9


def test_loss_is_low_for_aligned_embeddings():
    """Targets equal to the predictions of distinct objects: the positive wins the softmax."""
    S, D = 4, 16
    emb = F.normalize(torch.eye(D)[:2 * S].reshape(2, S, D), dim=-1)
    ids = torch.arange(S).repeat(2, 1)
    valid = torch.ones(2, S, dtype=torch.bool)
    low = detcon_nce_direction(emb, ids, valid, emb, emb, ids, valid, 0, 0.1)
    shuffled = emb[:, torch.tensor([1, 2, 3, 0])]
    high = detcon_nce_direction(emb, ids, valid, shuffled, shuffled, ids, valid, 0, 0.1)
    assert float(low) < 1e-3 < float(high)


def test_mask_pool_is_area_weighted_mean():
    feats = torch.arange(2 * 2 * 2, dtype=torch.float32).reshape(1, 2, 2, 2)  # C=2, 2x2 grid
    masks = torch.zeros(1, 4, 4, dtype=torch.long)
    masks[0, :2, :2] = 1          # the whole top-left cell
    masks[0, 2:, 2] = 1           # half of the bottom-right cell
    ids = torch.tensor([[1, 0, 7]])
    out = mask_pool(feats, masks, ids)
    # mask 1: weights top-left 1, bottom-right 0.5
    expect1 = (1.0 * feats[0, :, 0, 0] + 0.5 * feats[0, :, 1, 1]) / 1.5
    # mask 0: top-right 1, bottom-left 1, bottom-right 0.5
    expect0 = (feats[0, :, 0, 1] + feats[0, :, 1, 0] + 0.5 * feats[0, :, 1, 1]) / 2.5
    assert torch.allclose(out[0, 0], expect1)
    assert torch.allclose(out[0, 1], expect0)
    assert torch.equal(out[0, 2], torch.zeros(2))  # absent mask


def test_sample_mask_ids_only_common_ids():
    masks = torch.zeros(2, 2, 4, 4, dtype=torch.long)
    masks[0, 0] = torch.tensor([0, 1, 2, 3]).repeat(4, 1)   # view 1: ids 0-3
    masks[0, 1] = torch.tensor([2, 3, 5, 5]).repeat(4, 1)   # view 2: ids 2, 3, 5
    masks[1, 0], masks[1, 1] = 1, 2                          # no common id
    gen = torch.Generator().manual_seed(0)
    ids, valid = sample_mask_ids(masks, 64, generator=gen)
    assert set(ids[0].tolist()) == {2, 3} and valid[0].all()
    assert not valid[1].any()
