"""Brute-force references of the authors' JointCon / 2D-pose joint heatmaps (github
hygenie1228/Rethinking, lib/utils/coord_utils.py ``generate_joint_heatmap``), written as plain
loops from their behaviour: the peak cell, the truncated Gaussian patch, its cut by the map."""
import math

import numpy as np


def authors_peak(x, stride):
    """The authors' peak cell, literally their formula: Python's ``int(x / stride + 0.5)``."""
    return int(x / stride + 0.5)


def nearest_centre(x, stride):
    """The cell whose receptive-field centre ``c * stride`` is nearest to ``x`` (ties upwards)."""
    best = None
    for c in range(-30, 30):
        d = abs(x - c * stride)
        if best is None or d < best[0] or d == best[0]:
            best = (d, c)
    return best[1]


def authors_heatmap(x, y, stride, h, w, sigma=1.):
    """The authors' truncated Gaussian, by loops: the (6 sigma + 1)^2 patch written cell by cell
    around the peak and cut by the (h, w) map; None when nothing of it lands on the map."""
    px, py, r = authors_peak(x, stride), authors_peak(y, stride), int(3 * sigma)
    hm = np.zeros((h, w))
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if 0 <= py + dy < h and 0 <= px + dx < w:
                hm[py + dy, px + dx] = math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma))
    return hm if hm.sum() > 0 else None
