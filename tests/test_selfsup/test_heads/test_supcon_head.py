"""SupCon loss against brute-force loops; the head normalises, picks its label and weighs."""
import numpy as np
import pytest
import torch
from helpers.supcon_reference import np_instance, np_supcon

from mmhpse.selfsup.heads import SupConHead, supcon_loss


def _unit(n, d, seed):
    z = np.random.RandomState(seed).randn(n, d)
    return z / np.linalg.norm(z, axis=1, keepdims=True)


@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_supcon_matches_bruteforce(dtype, tol):
    z = _unit(40, 16, 0)
    labels = np.random.RandomState(1).randint(0, 7, size=40)
    labels[0] = 99  # an anchor without positives is left out of the mean
    expected = np_supcon(z, labels, 0.07)
    got = supcon_loss(torch.tensor(z, dtype=dtype), torch.tensor(labels), 0.07)
    assert abs(float(got) - expected) <= tol * max(1., abs(expected))


def test_supcon_instance_labels_match_bruteforce_ntxent():
    z = _unit(30, 8, 2)
    ids = np.tile(np.arange(15), 2)  # instance ids: row i and i + 15 share one
    got = supcon_loss(torch.tensor(z), torch.tensor(ids), 0.2)
    assert abs(float(got) - np_instance(z, 0.2)) < 1e-10


def test_supcon_no_positive_and_bad_shapes():
    z = torch.randn(3, 4, requires_grad=True)
    loss = supcon_loss(z, torch.tensor([0, 1, 2]))
    assert float(loss.detach()) == 0.
    loss.backward()
    assert torch.equal(z.grad, torch.zeros_like(z))
    with pytest.raises(ValueError, match=r'labels must be \(3,\)'):
        supcon_loss(z, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='embeddings must be'):
        supcon_loss(torch.randn(3), torch.tensor([0, 1, 2]))


def test_head_normalises_picks_its_label_and_weighs():
    rng = np.random.RandomState(5)
    raw = rng.randn(12, 6) * 3  # not normalised: the head does it
    z = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    joint = rng.randint(0, 3, size=12)
    image = np.tile(np.arange(6), 2)
    labels = dict(joint=torch.tensor(joint), image=torch.tensor(image))
    head = SupConHead(temperature=0.1, label='joint', loss_weight=2.)
    got = float(head.loss(torch.tensor(raw), labels))
    assert abs(got - 2. * np_supcon(z, joint, 0.1)) < 1e-10
    got = float(SupConHead(temperature=0.1, label='image').loss(torch.tensor(raw), labels))
    assert abs(got - np_instance(z, 0.1)) < 1e-10
    with pytest.raises(KeyError, match=r"label 'part' is not among .*\['image', 'joint'\]"):
        SupConHead(label='part').loss(torch.tensor(raw), labels)
