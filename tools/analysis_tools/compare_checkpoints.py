"""Compare the weights of two checkpoints: max |a - b| and relative L2 ``||a - b|| / ||a||``.

Used to check that a killed and resumed run ends where the uninterrupted one does::

    python tools/analysis_tools/compare_checkpoints.py full/epoch_8.pth resumed/epoch_8.pth

Both files are read with ``weights_only=True``; they must hold the same tensor names and shapes.
"""
import argparse
import json
import sys

import torch

from mmhpse.utils.checkpoint import load_external_checkpoint


def compare_state_dicts(a: dict, b: dict) -> dict:
    """Differences of the floating-point tensors of two state dicts.

    Returns:
        dict: ``max_abs`` (max |a - b| over all entries), ``rel_l2`` (||a - b|| / ||a|| over
        all entries), ``num_tensors``, ``num_different`` (tensors not bit-identical, integer
        buffers included) and ``worst`` (the tensor holding ``max_abs``).

    Raises:
        KeyError: The names or shapes differ (both listed).
    """
    if a.keys() != b.keys():
        raise KeyError(f'different tensor names: only in the first {sorted(a.keys() - b.keys())}'
                       f', only in the second {sorted(b.keys() - a.keys())}')
    shapes = [k for k in a if a[k].shape != b[k].shape]
    if shapes:
        raise KeyError(f'different shapes: {shapes}')
    diff_sq = ref_sq = 0.0
    max_abs, worst = 0.0, None
    for key in a:
        if a[key].is_floating_point():
            delta = a[key].double() - b[key].double()
            diff_sq += float(delta.pow(2).sum())
            ref_sq += float(a[key].double().pow(2).sum())
            if delta.numel() and float(delta.abs().max()) > max_abs:
                max_abs, worst = float(delta.abs().max()), key
    return dict(max_abs=max_abs, rel_l2=(diff_sq / ref_sq)**0.5 if ref_sq else 0.0,
                num_tensors=len(a), worst=worst,
                num_different=sum(not torch.equal(a[k], b[k]) for k in a))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('first', help='reference checkpoint')
    parser.add_argument('second', help='checkpoint compared with it')
    args = parser.parse_args(argv)
    a = load_external_checkpoint(args.first)
    b = load_external_checkpoint(args.second)
    try:
        result = compare_state_dicts(a.get('state_dict', a), b.get('state_dict', b))
    except KeyError as err:
        sys.exit(f'compare_checkpoints: {err}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
