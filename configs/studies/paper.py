# The study of Choi et al. (ICLR 2023) on the real datasets: every backbone initialisation chained
# into the paper's PARE fine-tuning (ResNet-50, Human3.6M + COCO 2017 with NeuralAnnot SMPL
# 50/50, 120 epochs), at 100 / 60 / 30 / 20 / 10 % of the labels, evaluated on 3DPW, Human3.6M
# (protocol 2) and MuPoTS-3D.
#
#   python tools/run_study.py configs/studies/paper.py --launcher slurm --gpus 8 --partition p
#
# Before running: the datasets and body models of README "Data preparation"; the released SSL /
# ImageNet checkpoints below in checkpoints/ (the study refuses to start and lists every missing
# file). Pre-trainings with a `config` are trained by the runner (2D pose and JointCon on COCO,
# SURREAL, and DetCon on ImageNet for the 1000 epochs of DeepMind's release, whose weights are a
# JAX checkpoint); those with a `checkpoint` are the methods' published ImageNet weights. Every SSL
# row is pre-trained on ImageNet, as in the paper; the COCO-person variants of the SSL methods are
# configs of their own (configs/<method>/*_coco-person*.py). The runner extracts every backbone
# and fine-tunes with a strict load.
ann = 'data/preprocessed_datasets'
fractions = f'{ann}/fractions'

study = dict(
    name='paper',
    work_dir='work_dirs/studies/paper',
    notes=["3DPW with neutral-model GT meshes in every evaluator (the authors' protocol); "
           "`pw3d_gt_gender='gendered'` in `finetune.cfg_options` gives mmhuman3d's gendered GT.",
           'Human3.6M protocol 2 as the authors: S9, S11, camera 60457274, every 64th frame.',
           'Training data as the authors: Human3.6M and COCO 2017, both with NeuralAnnot SMPL '
           '(tools/dataset_converters/h36m.py, coco_neuralannot.py; docs/datasets.md).'],
    prepare=[
        dict(cmd=['python', 'tools/misc/make_label_fractions.py',
                  f'{ann}/h36m_train_neuralannot.npz', '--fractions', '0.1', '0.2', '0.3', '0.6',
                  '--seed', '0', '--out-dir', fractions],
             creates=f'{fractions}/h36m_train_neuralannot_frac10_seed0.npy'),
        dict(cmd=['python', 'tools/misc/make_label_fractions.py',
                  f'{ann}/coco_2017_train_neuralannot.npz', '--fractions', '0.1', '0.2', '0.3',
                  '0.6', '--seed', '0', '--out-dir', fractions],
             creates=f'{fractions}/coco_2017_train_neuralannot_frac10_seed0.npy'),
    ],
    baseline='imagenet-cls',
    # the paper's "SSL is 7.7 % worse on average than ImageNet classification": one row per label
    # fraction averaging the ImageNet SSL rows (docs/fidelity.md row 8b)
    groups=dict(SSL=['mocov2', 'simclr', 'byol', 'swav', 'densecl', 'detcon']),
    pretrainings=[
        dict(name='random'),
        dict(name='imagenet-cls', checkpoint='checkpoints/resnet50_torchvision_in1k.pth'),
        dict(name='mocov2', checkpoint='checkpoints/mocov2_resnet50_in1k_release.pth'),
        dict(name='simclr', checkpoint='checkpoints/simclr_resnet50_in1k_release.pth'),
        dict(name='byol', checkpoint='checkpoints/byol_resnet50_in1k_release.pth'),
        dict(name='swav', checkpoint='checkpoints/swav_resnet50_in1k_release.pth'),
        dict(name='densecl', checkpoint='checkpoints/densecl_resnet50_in1k_release.pth'),
        dict(name='detcon', config='configs/detcon/detcon-b_resnet50_16xb256-coslr-1000e_in1k.py'),
        dict(name='2d-pose',
             config='configs/pose2d/simplebaseline_resnet50_4xb32-140e_coco19-256x192.py'),
        dict(name='jointcon',
             config='configs/jointcon/jointcon_resnet50_4xb32-140e_coco-256x192.py'),
        dict(name='surreal', config='configs/surreal/pare_resnet50_4xb32-140e_surreal.py'),
    ],
    finetune=dict(
        config='configs/pare/pare_resnet50-scratch_8xb16-120e_h36m-coco.py',
        label_fractions=[1.0, 0.6, 0.3, 0.2, 0.1],
        seeds=[0],
        fraction_cfg_options={
            'train_dataloader.dataset.datasets.0.indices_file':
            f'{fractions}/h36m_train_neuralannot_frac{{pct}}_seed0.npy',
            'train_dataloader.dataset.datasets.1.indices_file':
            f'{fractions}/coco_2017_train_neuralannot_frac{{pct}}_seed0.npy',
        }),
    benchmarks=[
        dict(name='3DPW', prefix='3dpw'),
        dict(name='Human3.6M', prefix='h36m', cfg_options={
            # tools/dataset_converters/h36m.py --split p2 (configs/_base_/datasets/h36m_p2.py)
            'test_dataloader.dataset.ann_file': 'preprocessed_datasets/h36m_test_p2.npz',
            'test_dataloader.dataset.data_prefix.img': 'datasets/h36m/',
            'test_dataloader.dataset.dataset_name': 'h36m_p2',
            # the authors' protocol-2 frames (configs/_base_/datasets/h36m_p2.py)
            'test_dataloader.dataset.sample_filter': dict(
                subjects=['S9', 'S11'], cameras=['60457274'], frame_stride=64),
            'test_evaluator.dataset': 'h36m_p2'}),
        dict(name='MuPoTS-3D', prefix='mupots', cfg_options={
            'test_dataloader.dataset.ann_file': 'preprocessed_datasets/mupots3d_test.npz',
            'test_dataloader.dataset.data_prefix.img': 'datasets/mupots3d/',
            'test_dataloader.dataset.dataset_name': 'mupots',
            'test_evaluator.dataset': 'mupots',
            'test_evaluator.joint_regressor_mpi_inf_3dhp': 'data/body_models/J_regressor_mi_smpl.npy'}),
    ],
    curve_metric='mpjpe',
)
