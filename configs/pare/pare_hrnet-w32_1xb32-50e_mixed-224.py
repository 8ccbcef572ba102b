# Original PARE recipe, stage 2 of 2 (mmhuman3d's hrnet_w32_conv_pare_mix.py): from the stage-1
# COCO-EFT model, Adam 5e-5 (constant), 50 epochs, batch 32, on Human3.6M (MoSh SMPL) 0.5,
# COCO-EFT 0.233, LSPET-EFT 0.046, MPII-EFT 0.021, MPI-INF-3DHP 0.2; 3DPW every 6 epochs.
_base_ = ['./pare_hrnet-w32_1xb64-200e_coco-eft-224.py', '../_base_/datasets/h36m.py',
          '../_base_/datasets/mpi_inf_3dhp.py']

load_from = 'work_dirs/pare_hrnet-w32_1xb64-200e_coco-eft-224/epoch_200.pth'
model = dict(backbone=dict(init_cfg=None), head=dict(loss_keypoints2d=dict(loss_weight=150.)))

# EFT fits of LSPET and MPII (mmhuman3d's EftConverter, modes 'lspet' and 'mpii')
lspet_eft_train = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/eft_lspet.npz',
    data_prefix=dict(img='datasets/lspet/'),
    dataset_name='lspet',
    convention='smpl_49')
mpii_eft_train = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/eft_mpii.npz',
    data_prefix=dict(img='datasets/mpii/'),
    dataset_name='mpii',
    convention='smpl_49')
# mmhuman3d's mixed stage has no synthetic occlusion
train_pipeline = [t for t in _base_.train_pipeline if t['type'] != 'RandomOcclusion']
h36m_mosh_train = dict(_base_.h36m_train, ann_file='preprocessed_datasets/h36m_mosh_train.npz')

train_dataloader = dict(
    batch_size=32,
    sampler=dict(_delete_=True, type='MixedEpochSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='MixedDataset',
        datasets=[
            dict(h36m_mosh_train, pipeline=train_pipeline),
            dict(_base_.coco_eft_train, pipeline=train_pipeline),
            dict(lspet_eft_train, pipeline=train_pipeline),
            dict(mpii_eft_train, pipeline=train_pipeline),
            dict(_base_.mpi_inf_3dhp_train, pipeline=train_pipeline),
        ],
        partition=[0.5, 0.233, 0.046, 0.021, 0.2]))

optim_wrapper = dict(optimizer=dict(lr=5e-5))
train_cfg = dict(max_epochs=50, val_interval=6)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(checkpoint=dict(interval=6))
