"""SupCon loss against brute-force loops; the head normalises, picks its label and weighs."""
import numpy as np
import pytest
import torch
from helpers.supcon_reference import np_grouped_ntxent, np_instance, np_supcon

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


def test_grouped_head_is_the_mean_over_groups_of_per_group_ntxent():
    """The authors' instance-level ablation (label='image', group='joint') against loops; a group
    with a single pair contributes 0 (its only other row is the positive), as in their loss."""
    rng = np.random.RandomState(6)
    joints = [0, 0, 1, 1, 1, 2, 3] * 2  # per view: type 2 and 3 occur in one image only
    images = [0, 1, 0, 1, 2, 0, 2] * 2
    z = _unit(14, 8, 7)
    labels = dict(joint=torch.tensor(joints), image=torch.tensor(images))
    head = SupConHead(temperature=0.07, label='image', group='joint')
    got = float(head.loss(torch.tensor(z * rng.uniform(1, 3, size=(14, 1))), labels))
    assert abs(got - np_grouped_ntxent(z, joints, images, 0.07)) < 1e-10
    per_type = [np_grouped_ntxent(z, joints, images, 0.07, only=t) for t in range(4)]
    assert per_type[2] == per_type[3] == 0. and abs(got - np.mean(per_type)) < 1e-10
    with pytest.raises(KeyError, match="label 'part' is not among"):
        SupConHead(label='image', group='part').loss(torch.tensor(z), labels)
