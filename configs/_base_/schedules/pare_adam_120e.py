# Fine-tuning schedule of Choi et al. 2023: Adam 1e-4, 120 epochs, x0.1 at epoch 90,
# validation every 5 epochs (the convergence curves of the paper are read from these), total
# batch 128 (e.g. 8 GPUs x 16).
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[90], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=120, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=128, enable=False)
