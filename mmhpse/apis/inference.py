"""Build a 3DHPSE model from a config + checkpoint, and run it on an image.

Checkpoint names that end in ``-xxxxxxxx.pth`` (eight hex digits, the model-zoo convention of
``tools/model_converters/publish_model.py``) carry the first eight hex digits of the sha256 of the
file; :func:`init_model` refuses a file whose content does not match them.
"""
import copy
import hashlib
import logging
import os.path as osp
import re
from typing import List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import MMLogger

from mmhpse.utils.checkpoint import load_external_checkpoint
from mmhpse.utils.strict_load import load_state_dict_strict

__all__ = [
    'CheckpointHashError', 'file_sha256', 'verify_checkpoint_hash', 'init_model',
    'inference_mesh_model'
]

_HASH_SUFFIX = re.compile(r'-([0-9a-f]{8})\.pth$')
_LOAD_IMAGE_TYPES = ('LoadHumanImage', 'mmhpse.LoadHumanImage', 'LoadImage', 'mmpose.LoadImage',
                     'LoadImageFromFile', 'mmcv.LoadImageFromFile')


class CheckpointHashError(ValueError):
    """The sha256 of a checkpoint file does not match the hash in its name."""


def file_sha256(path: str, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of the bytes of ``path``."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checkpoint_hash(path: str) -> Optional[str]:
    """Check a ``*-xxxxxxxx.pth`` file against the sha256 prefix in its name.

    Args:
        path (str): Checkpoint file.

    Returns:
        str | None: The verified eight-digit prefix, or None when the name carries no hash.

    Raises:
        CheckpointHashError: The file's sha256 does not start with the digits of its name.
    """
    found = _HASH_SUFFIX.search(osp.basename(path))
    if found is None:
        return None
    expected = found.group(1)
    actual = file_sha256(path)
    if not actual.startswith(expected):
        raise CheckpointHashError(
            f'checkpoint {path}: its name says sha256 {expected}..., but the file hashes to '
            f'{actual[:8]}... (expected {expected}, actual {actual[:8]}); the file is corrupt, '
            'truncated or was modified: download or publish it again')
    return expected


def _drop_pretrained_init(cfg: dict) -> None:
    """Remove ``init_cfg=dict(type='Pretrained', ...)`` everywhere in a model config (in place):
    the checkpoint provides all weights, so no other file needs to exist."""
    if isinstance(cfg, dict):
        init_cfg = cfg.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        for value in cfg.values():
            _drop_pretrained_init(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            _drop_pretrained_init(value)


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build the model of a config (``mmhpse`` scope) and load a checkpoint into it.

    Args:
        config (str | Config): Config file or object, or the name of a zoo model
            (:func:`mmhpse.apis.zoo.find_model`: ``model-index.yml`` and local zoo folders such
            as the quickstart's ``zoo/``), whose weights are then the default checkpoint.
        checkpoint (str, optional): Checkpoint file, loaded with ``weights_only=True``. When its
            name ends in ``-xxxxxxxx.pth`` the file's sha256 is checked first. None keeps the
            initialisation of the config (random or ``init_cfg``), or loads a zoo model's
            weights.
        device (str | torch.device): Where the model lives. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config (dotted keys allowed).

    Returns:
        nn.Module: The model in eval mode, with the config as ``model.cfg`` and the checkpoint's
        ``meta.dataset_meta`` (when present) as ``model.dataset_meta``.

    Raises:
        CheckpointHashError: The checkpoint does not match the hash in its name.
        FileNotFoundError: The checkpoint does not exist.
        IncompleteCheckpointError: (a ``KeyError``) The checkpoint lacks weights of the model or
            has weights of other shapes; the message lists them.
    """
    from mmhpse.registry import MODELS
    from mmhpse.utils import register_all_modules

    from .zoo import resolve_model
    config, checkpoint = resolve_model(config, checkpoint)
    if isinstance(config, str):
        config = Config.fromfile(config)
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a file path or a Config, got {type(config).__name__}')
    else:
        config = copy.deepcopy(config)
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    register_all_modules()

    model_cfg = config.model
    model_cfg.pop('train_cfg', None)
    if checkpoint is not None:
        _drop_pretrained_init(model_cfg)
    model = MODELS.build(model_cfg)
    if checkpoint is None:
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)  # init_weights logs every parameter at INFO
        try:
            model.init_weights()
        finally:
            logger.setLevel(level)
    else:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} can not be found.')
        verify_checkpoint_hash(checkpoint)
        ckpt = load_external_checkpoint(checkpoint, map_location='cpu')
        state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state_dict, dict):
            raise TypeError(f'checkpoint {checkpoint} holds no state dict')
        state_dict = {(k[7:] if k.startswith('module.') else k): v
                      for k, v in state_dict.items()}
        if isinstance(getattr(model, 'body_model', None), nn.Module):
            # The mesh comes from the body-model files of the config (the real SMPL, or the
            # surrogate of the demo), never from buffers a training run saved.
            state_dict = {k: v for k, v in state_dict.items() if not k.startswith('body_model.')}
        # every parameter and buffer outside the body model must be provided with its shape
        # (a checkpoint of another config is refused); unexpected keys are logged and ignored
        load_state_dict_strict(model, state_dict, checkpoint, allow_unexpected=True,
                               optional_prefixes=('body_model.', ), context='init_model')
        meta = ckpt.get('meta') or {}
        if meta.get('dataset_meta') is not None:
            model.dataset_meta = meta['dataset_meta']
    model.cfg = config
    model.to(device)
    model.eval()
    return model


def _test_pipeline_cfg(cfg: Config) -> list:
    """The test pipeline of a config (``test_dataloader``, else ``val_dataloader``)."""
    for key in ('test_dataloader', 'val_dataloader'):
        loader = cfg.get(key)
        dataset = loader.get('dataset') if loader else None
        while dataset is not None and 'pipeline' not in dataset:
            if dataset.get('dataset') is not None:  # wrappers (RepeatDataset, ...)
                dataset = dataset['dataset']
            elif dataset.get('datasets'):  # ConcatDataset, MixedDataset: the first one
                dataset = dataset['datasets'][0]
            else:
                dataset = None
        if dataset is not None and 'pipeline' in dataset:
            return copy.deepcopy(list(dataset['pipeline']))
    if cfg.get('test_pipeline') is not None:
        return copy.deepcopy(list(cfg.test_pipeline))
    raise KeyError(f'config {cfg.filename} has no test_dataloader.dataset.pipeline, '
                   'val_dataloader.dataset.pipeline or test_pipeline')


def _read_image(img: Union[str, np.ndarray]) -> np.ndarray:
    if isinstance(img, str):
        arr = cv2.imread(img, cv2.IMREAD_COLOR)
        if arr is None:
            raise FileNotFoundError(f'cannot read image {img}')
        return arr
    if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3:
        shape = getattr(img, 'shape', None)
        raise ValueError(f'img must be a path or an (H, W, 3) BGR array, got {shape}')
    return img


def _check_bboxes(bboxes, img_shape) -> np.ndarray:
    h, w = img_shape
    if bboxes is None:
        return np.array([[0, 0, w, h]], dtype=np.float32)
    boxes = np.asarray(bboxes, dtype=np.float32)
    if boxes.ndim == 1:
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'bboxes must have shape (N, 4) as x, y, w, h, got {boxes.shape}')
    for i, box in enumerate(boxes):
        if not np.all(np.isfinite(box)) or box[2] <= 0 or box[3] <= 0:
            raise ValueError(f'bboxes[{i}] = {box.tolist()} is not a box x, y, w, h with '
                             'positive width and height')
    return boxes


def inference_mesh_model(model: nn.Module,
                         img: Union[str, np.ndarray],
                         bboxes: Optional[Union[np.ndarray, Sequence]] = None) -> List:
    """Estimate the SMPL mesh of each person box of an image.

    Runs the config's test pipeline (without its image loading step; the image is read here) on
    each box and the model's ``test_step`` on the batch.

    Args:
        model (nn.Module): From :func:`init_model` (needs ``model.cfg``).
        img (str | ndarray): Image path, or an ``(H, W, 3)`` uint8 BGR array (OpenCV order).
        bboxes (array-like, optional): ``(N, 4)`` person boxes ``x, y, w, h`` in image pixels.
            Defaults to the whole image as one box.

    Returns:
        list[HumanDataSample]: One per box, with ``pred_pose (24, 3, 3)``, ``pred_betas (10,)``,
        ``pred_cam (3,)``, ``pred_vertices (V, 3)``, ``pred_joints (J, 3)``,
        ``pred_keypoints2d (J, 2)`` (crop pixels) and the crop's ``center``, ``scale``,
        ``warp_mat`` (image -> crop) in its meta information.
    """
    pipeline_cfg = _test_pipeline_cfg(model.cfg)
    to_rgb = False
    for step in [s for s in pipeline_cfg if s.get('type') in _LOAD_IMAGE_TYPES]:
        to_rgb = bool(step.get('to_rgb', False))
        pipeline_cfg.remove(step)
    pipeline = Compose(pipeline_cfg)

    image = _read_image(img)
    if to_rgb:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    boxes = _check_bboxes(bboxes, image.shape[:2])
    img_path = img if isinstance(img, str) else ''
    data = []
    for i, box in enumerate(boxes):
        info = dict(img=image.copy(), img_path=img_path, img_shape=image.shape[:2],
                    ori_shape=image.shape[:2], bbox_xywh=box, sample_idx=i,
                    dataset_name='inference', gender='neutral')
        packed = pipeline(info)
        if packed is None:
            raise RuntimeError(f'the test pipeline dropped box {i} ({box.tolist()}) of '
                               f'{img_path or "the image"}')
        data.append(packed)
    with torch.no_grad():
        return model.test_step(pseudo_collate(data))
