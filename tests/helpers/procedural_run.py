"""A tiny PARE run on procedural humans through the tools, for tests that train, kill, resume and
test: the procedural config with its default random pipeline (flip, bbox, colour), a narrow
ResNet-18 and a few generated images."""
import os.path as osp

CONFIG = 'configs/pare/pare_resnet18-scratch_1xb16-24e_procedural-128x96.py'


def make_procedural_data(folder, body_model_dir, num_train=8, num_test=4):
    """Generate ``train.npz`` / ``test.npz`` (96 x 96 images) in ``folder`` once."""
    from mmhpse.synthetic.procedural import generate_procedural_dataset
    if not osp.exists(osp.join(folder, 'test.npz')):
        generate_procedural_dataset(osp.join(folder, 'train.npz'), body_model_dir, num_train,
                                    (96, 96), 0, '.jpg')
        generate_procedural_dataset(osp.join(folder, 'test.npz'), body_model_dir, num_test,
                                    (96, 96), 1, '.jpg')
    return folder


def tiny_options(data_dir, body_model_dir, epochs=1, num_workers=0, batch_size=4):
    """``--cfg-options`` (a dict of dotted keys) for a tiny run of :data:`CONFIG`.

    The train dataloader keeps the config's random pipeline and ``persistent_workers`` (which
    torch allows only with workers).
    """
    bm = body_model_dir
    opts = {
        'model.backbone.stem_channels': 8, 'model.backbone.base_channels': 8,
        'model.head.in_channels': 64, 'model.head.num_filters': (8, 8),
        'model.head.num_smpl_features': 4,
        'model.head.smpl_mean_params': osp.join(bm, 'smpl_mean_params.npz'),
        'model.body_model.model_path': osp.join(bm, 'smpl'),
        'model.body_model.joint_regressor_extra': osp.join(bm, 'J_regressor_extra.npy'),
        'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1, 'default_hooks.checkpoint.save_best': None,
        'default_hooks.checkpoint.max_keep_ckpts': 10, 'default_hooks.logger.interval': 1,
        'train_dataloader.num_workers': num_workers,
    }
    if not num_workers:
        opts['train_dataloader.persistent_workers'] = False
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.update({f'{loader}.dataset.data_root': data_dir, f'{loader}.batch_size': batch_size})
    for loader in ('val_dataloader', 'test_dataloader'):
        opts.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False})
    for evaluator in ('val_evaluator', 'test_evaluator'):
        opts.update({f'{evaluator}.body_model.model_path': osp.join(bm, 'smpl'),
                     f'{evaluator}.body_model.joint_regressor_h36m':
                     osp.join(bm, 'J_regressor_h36m.npy')})
    return opts


def as_args(options):
    """``--cfg-options`` arguments of an options dict."""
    out = []
    for key, value in options.items():
        if isinstance(value, (tuple, list)):
            value = '[' + ','.join(str(v) for v in value) + ']'
        out.append(f'{key}={value}')
    return out


def derived_config(folder, name='derived.py', **top_level):
    """Write a config inheriting :data:`CONFIG` with extra top-level keys (``custom_hooks``,
    ``custom_imports``, ..., which ``--cfg-options`` cannot express); returns its path."""
    from .tool_runner import REPO
    lines = [f'_base_ = [{osp.join(REPO, CONFIG)!r}]']
    lines += [f'{key} = {value!r}' for key, value in top_level.items()]
    path = osp.join(str(folder), name)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path
