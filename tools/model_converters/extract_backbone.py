"""Extract the ResNet backbone of a pre-training checkpoint for fine-tuning.

Reads checkpoints of mmhpse, mmpretrain, mmpose, torchvision, the official MoCo / SwAV /
SimpleBaseline releases and PyTorch conversions of DetCon; writes
``{'state_dict': {'backbone.' + k: v}, 'meta': {...}}``, the file that the fine-tuning configs load
with ``init_cfg=dict(type='StrictPretrained', checkpoint=OUT, prefix='backbone.')``.

Example::

    python tools/model_converters/extract_backbone.py \
        work_dirs/jointcon/epoch_140.pth checkpoints/jointcon_backbone.pth --depth 50
"""
import argparse
import os
import os.path as osp

import torch

from mmhpse.models.backbones.extract import BackboneExtractionError, extract_resnet_backbone
from mmhpse.utils.checkpoint import load_external_checkpoint


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='checkpoint to read')
    parser.add_argument('dst', help='backbone checkpoint to write')
    parser.add_argument('--depth', type=int, default=50,
                        help='expected ResNet depth (0: accept the detected one)')
    parser.add_argument('--prefix', default=None,
                        help='prefix of the backbone keys in SRC (default: detected)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    checkpoint = load_external_checkpoint(args.src)
    try:
        state_dict, info = extract_resnet_backbone(
            checkpoint, depth=args.depth or None, prefix=args.prefix, source=args.src)
    except BackboneExtractionError as err:
        raise SystemExit(f'extract_backbone: {err}')
    print(f'source: {args.src}')
    print(f'backbone prefix: {info["prefix"]!r} (ResNet-{info["depth"]})'
          + (f'; other backbones under {info["other_prefixes"]}' if info['other_prefixes']
             else ''))
    print(f'matched: {info["num_matched"]}/{info["num_expected"]} '
          f'({100.0 * info["num_matched"] / info["num_expected"]:.1f} %)')
    print(f'missing: {len(info["missing"])}')
    print(f'unexpected (dropped): {len(info["unexpected"])}'
          + (f' e.g. {info["unexpected"][:5]}' if info['unexpected'] else ''))
    meta = dict(source=osp.abspath(args.src), prefix=info['prefix'], depth=info['depth'],
                num_matched=info['num_matched'], num_expected=info['num_expected'],
                num_missing=len(info['missing']), num_unexpected=len(info['unexpected']))
    out = dict(state_dict={'backbone.' + k: v.clone() for k, v in state_dict.items()}, meta=meta)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(out, args.dst)
    print(f'saved {len(state_dict)} tensors to {args.dst}')
    return meta


if __name__ == '__main__':
    main()
