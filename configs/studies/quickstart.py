# The embedded default study (`make quickstart`): the paper's question in small, on CPU in minutes.
#
# World: procedural humans rendered from a surrogate SMPL body model (generated; no licensed data),
# poses from a low-dimensional prior of motion primitives (mmhpse/synthetic/pose_prior.py).
# As in the paper, a 2D-only pre-training pool (4000 images, 2D joints) is several times larger
# than the 3D-labelled fine-tuning set (1000 images). Pre-trainings compared: random init (the
# fine-tuning config's own), 2D-pose heatmaps (SimpleBaseline) and JointCon, both on the pool; every
# backbone is extracted and chained into the same PARE fine-tuning at 100 % and 10 % of the labels,
# 3 seeds each, evaluated on the procedural test split (3DPW protocol, neutral GT) against the two
# reference rows (mean pose, random init). The best run is published to the local zoo (zoo/).
#
# Sized for 2 CPU cores: a half-width ResNet-18 at 64x48 (last stage dilated: C5 at stride 16),
# two single-threaded jobs at a time.
data = 'data/quickstart'
gen = ['python', 'tools/misc/make_procedural_dataset.py', '--img-size', '128', '--workers', '2',
       '--body-model-dir', 'data/body_models']

study = dict(
    name='quickstart',
    work_dir='work_dirs/studies/quickstart',
    notes=[
        'Embedded quickstart: a half-width ResNet-18 at 64x48 on procedural humans rendered from '
        'a **surrogate** SMPL body model, minutes of CPU training. It exercises the whole chain '
        'and measures with seeds; the paper\'s numbers need the real datasets, SMPL and '
        'ResNet-50 (configs/studies/paper.py).',
    ],
    prepare=[
        dict(cmd=gen + ['--out', f'{data}/train.npz', '--num-samples', '1000', '--seed', '0'],
             creates=f'{data}/train.npz'),
        dict(cmd=gen + ['--out', f'{data}/test.npz', '--num-samples', '250', '--seed', '1'],
             creates=f'{data}/test.npz'),
        dict(cmd=gen + ['--out', f'{data}/pool.npz', '--num-samples', '4000', '--seed', '2'],
             creates=f'{data}/pool.npz'),
        dict(cmd=['python', 'tools/misc/humandata_to_coco.py', f'{data}/pool.npz', data,
                  f'{data}/pool_coco.json'],
             creates=f'{data}/pool_coco.json'),
        dict(cmd=['python', 'tools/misc/humandata_to_coco.py', f'{data}/test.npz', data,
                  f'{data}/test_coco.json'],
             creates=f'{data}/test_coco.json'),
        dict(cmd=['python', 'tools/misc/make_label_fractions.py', f'{data}/train.npz',
                  '--fractions', '0.1', '--seed', '0', '--out-dir', f'{data}/fractions'],
             creates=f'{data}/fractions/train_frac10_seed0.npy'),
    ],
    baseline='random',
    random_row='random',
    pretrainings=[
        dict(name='random'),
        dict(name='2d-pose',
             config='configs/pose2d/simplebaseline_resnet18-w32_1xb32-6e_procedural19-64x48.py',
             depth=18),
        dict(name='jointcon',
             config='configs/jointcon/jointcon_resnet18-w32_1xb32-3e_procedural-64x48.py',
             depth=18),
    ],
    finetune=dict(
        config='configs/pare/pare_resnet18-w32-scratch_1xb16-5e_procedural-64x48.py',
        label_fractions=[1.0, 0.1],
        seeds=[0, 1, 2],
        # 10 % of the labels: the subset file, and 4x the epochs (0.4x the iterations)
        fraction_cfg_options={
            'train_dataloader.dataset.indices_file': f'{data}/fractions/train_frac{{pct}}_seed0.npy',
            'train_cfg.max_epochs': 20, 'train_cfg.val_interval': 10,
            'param_scheduler.0.milestones': [16], 'default_hooks.checkpoint.interval': 20,
        }),
    benchmarks=[dict(name='Procedural', prefix='procedural')],
    curve_metric='mpjpe',
    mean_pose=True,
    test_set_selection=None,  # 'pa-mpjpe' adds the authors' (test-set) model selection columns
    parallel_jobs=2,
    publish=dict(zoo_dir='zoo', name='pare_resnet18-w32_quickstart-procedural-64x48',
                 training_data=['procedural (quickstart)']),
)
