"""tools/analysis_tools/compare_checkpoints.py against a brute-force numpy reference."""
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from helpers.tool_runner import REPO, run_tool

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
from compare_checkpoints import compare_state_dicts  # noqa: E402


def test_figures_match_a_brute_force_reference(tmp_path):
    gen = torch.Generator().manual_seed(0)
    a = {'w': torch.randn(3, 4, generator=gen), 'b': torch.randn(5, generator=gen),
         'n': torch.tensor(3)}
    b = {'w': a['w'] + 0.01 * torch.randn(3, 4, generator=gen), 'b': a['b'].clone(),
         'n': torch.tensor(4)}
    b['b'][2] += 0.5
    flat_a = np.concatenate([a[k].numpy().ravel() for k in ('w', 'b')]).astype(np.float64)
    flat_b = np.concatenate([b[k].numpy().ravel() for k in ('w', 'b')]).astype(np.float64)
    result = compare_state_dicts(a, b)
    assert result['max_abs'] == pytest.approx(np.abs(flat_a - flat_b).max(), rel=1e-12)
    assert result['rel_l2'] == pytest.approx(
        np.linalg.norm(flat_a - flat_b) / np.linalg.norm(flat_a), rel=1e-12)
    assert result['worst'] == 'b' and result['num_different'] == 3  # the int buffer too
    assert compare_state_dicts(a, {k: v.clone() for k, v in a.items()})['num_different'] == 0
    with pytest.raises(KeyError, match=r"only in the first \['n'\]"):
        compare_state_dicts(a, {k: v for k, v in b.items() if k != 'n'})

    pa, pb = str(tmp_path / 'a.pth'), str(tmp_path / 'b.pth')
    torch.save({'state_dict': a}, pa)
    torch.save({'state_dict': b}, pb)
    out = json.loads(run_tool(['tools/analysis_tools/compare_checkpoints.py', pa,
                               pb]).stdout.strip().splitlines()[-1])
    assert out['max_abs'] == pytest.approx(result['max_abs'])
