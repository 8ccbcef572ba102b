"""Rewrite a TRUSTED checkpoint so that it loads with ``torch.load(weights_only=True)``.

mmhpse refuses checkpoints that need arbitrary unpickling (see mmhpse/utils/checkpoint.py). A file
you wrote yourself with plain mmengine (its message hub holds pickled ``HistoryBuffer`` objects)
can be converted once::

    python tools/model_converters/sanitize_checkpoint.py old.pth new.pth --trust

Only run this on files whose origin you trust: reading them executes their pickled code.
"""
import argparse

import torch

from mmhpse.utils.checkpoint import encode_safe, load_external_checkpoint, load_trusted_checkpoint


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', help='where to write the safe checkpoint')
    parser.add_argument('--trust', action='store_true',
                        help='confirm that SRC comes from a trusted source (required)')
    args = parser.parse_args()
    if not args.trust:
        parser.error('reading SRC unpickles arbitrary objects; pass --trust if you trust the file')
    checkpoint = load_trusted_checkpoint(args.src)
    torch.save(encode_safe(checkpoint), args.dst)
    load_external_checkpoint(args.dst)  # proves the result loads with weights_only=True
    print(f'wrote {args.dst} (loads with weights_only=True)')


if __name__ == '__main__':
    main()
