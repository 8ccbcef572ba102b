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
