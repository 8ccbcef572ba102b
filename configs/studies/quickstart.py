# The embedded default study (`make quickstart`): the whole chain of the paper on CPU in minutes.
#
# Data: procedural humans rendered from a surrogate SMPL body model (generated; no licensed data).
# Pre-trainings compared: random init (the fine-tuning config's own init), 2D-pose heatmaps
# (SimpleBaseline) and JointCon, each on the same procedural images; every backbone is extracted and
# chained into the same PARE fine-tuning at 100 % and 30 % of the labels, evaluated on the procedural
# test split with the 3DPW protocol (MPJPE / PA-MPJPE / MPVPE, neutral GT).
#
# Sized for 2 CPU cores: ResNet-18, 128x96 crops, a few epochs. The numbers show that the chain works,
# not what the paper measured.
data = 'data/procedural'
pretrain_epochs = 4
finetune_epochs = 6

study = dict(
    name='quickstart',
    work_dir='work_dirs/studies/quickstart',
    notes=[
        'Embedded quickstart: ResNet-18 at 128x96 on procedural humans rendered from a '
        '**surrogate** SMPL body model, a few CPU epochs. It shows the chain works; the paper\'s '
        'numbers need the real datasets, SMPL and ResNet-50 (configs/studies/paper.py).',
    ],
    prepare=[
        dict(cmd=['python', 'tools/misc/make_procedural_dataset.py', '--out', f'{data}/train.npz',
                  '--num-samples', '384', '--img-size', '160', '--seed', '0',
                  '--body-model-dir', 'data/body_models'],
             creates=f'{data}/train.npz'),
        dict(cmd=['python', 'tools/misc/make_procedural_dataset.py', '--out', f'{data}/test.npz',
                  '--num-samples', '96', '--img-size', '160', '--seed', '1',
                  '--body-model-dir', 'data/body_models'],
             creates=f'{data}/test.npz'),
        dict(cmd=['python', 'tools/misc/humandata_to_coco.py', f'{data}/train.npz', data,
                  f'{data}/train_coco.json'],
             creates=f'{data}/train_coco.json'),
        dict(cmd=['python', 'tools/misc/humandata_to_coco.py', f'{data}/test.npz', data,
                  f'{data}/test_coco.json'],
             creates=f'{data}/test_coco.json'),
        dict(cmd=['python', 'tools/misc/make_label_fractions.py', f'{data}/train.npz',
                  '--fractions', '0.3', '--seed', '0', '--out-dir', f'{data}/fractions'],
             creates=f'{data}/fractions/train_frac30_seed0.npy'),
    ],
    baseline='random',
    pretrainings=[
        dict(name='random'),
        dict(name='2d-pose',
             config='configs/pose2d/simplebaseline_resnet18_1xb32-6e_procedural19-128x96.py',
             cfg_options={'train_cfg.max_epochs': pretrain_epochs,
                          'train_cfg.val_interval': pretrain_epochs},
             depth=18),
        dict(name='jointcon',
             config='configs/jointcon/jointcon_resnet18_1xb32-6e_procedural-128x96.py',
             cfg_options={'train_cfg.max_epochs': pretrain_epochs},
             depth=18),
    ],
    finetune=dict(
        config='configs/pare/pare_resnet18-scratch_1xb16-24e_procedural-128x96.py',
        cfg_options={'train_cfg.max_epochs': finetune_epochs, 'train_cfg.val_interval': 2,
                     'param_scheduler.0.milestones': [finetune_epochs - 1],
                     'default_hooks.checkpoint.interval': 2,
                     'train_dataloader.num_workers': 1},
        label_fractions=[1.0, 0.3],
        seeds=[0],
        fraction_cfg_options={
            'train_dataloader.dataset.indices_file': f'{data}/fractions/train_frac{{pct}}_seed0.npy'
        }),
    benchmarks=[dict(name='Procedural', prefix='procedural')],
    curve_metric='mpjpe',
)
