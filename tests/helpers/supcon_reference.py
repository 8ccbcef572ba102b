"""Brute-force references of the contrastive losses: plain loops over anchors, no vectorisation."""
import math

import numpy as np


def np_supcon(z, labels, tau):
    """Khosla et al. L_out, one anchor at a time."""
    n, total, count = len(z), 0., 0
    for i in range(n):
        positives = [p for p in range(n) if p != i and labels[p] == labels[i]]
        if not positives:
            continue
        denom = sum(math.exp(z[i] @ z[a] / tau) for a in range(n) if a != i)
        total += -np.mean([math.log(math.exp(z[i] @ z[p] / tau) / denom) for p in positives])
        count += 1
    return total / count


def np_instance(z, tau):
    """Joint-level NT-Xent: rows i and i + M (same joint, same person, other view) pair up."""
    n = len(z)
    m = n // 2
    losses = []
    for i in range(n):
        partner = (i + m) % n
        denom = sum(math.exp(z[i] @ z[a] / tau) for a in range(n) if a != i)
        losses.append(-math.log(math.exp(z[i] @ z[partner] / tau) / denom))
    return float(np.mean(losses))


def np_grouped_ntxent(z, groups, instances, tau, only=None):
    """The authors' instance-level JointCon ablation by loops: for each group (joint type), NT-Xent
    among that group's rows only (positive: the other row of the same instance, denominator: every
    other row of the group), averaged over the group's rows; then the mean over the groups
    (``only``: the loss of that one group)."""
    per_group = []
    for g in sorted(set(groups)) if only is None else [only]:
        rows = [r for r in range(len(z)) if groups[r] == g]
        losses = []
        for i in rows:
            denom = sum(math.exp(z[i] @ z[a] / tau) for a in rows if a != i)
            pos = [p for p in rows if p != i and instances[p] == instances[i]]
            losses.append(-np.mean([math.log(math.exp(z[i] @ z[p] / tau) / denom)
                                    for p in pos]))
        per_group.append(np.mean(losses))
    return float(np.mean(per_group))
