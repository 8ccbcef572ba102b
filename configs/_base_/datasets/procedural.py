# Procedural humans rendered from the (surrogate) SMPL body model with exact GT: the quickstart's
# data (configs/studies/quickstart.py writes it), also usable for tests and CPU smoke trainings.
# Written by tools/misc/make_procedural_dataset.py:
#   python tools/misc/make_procedural_dataset.py --out data/quickstart/train.npz --seed 0
#   python tools/misc/make_procedural_dataset.py --out data/quickstart/test.npz \
#       --num-samples 200 --seed 1
# HumanData files (keypoints in 'smpl_49', smpl dict, meta.gender); image paths are relative to
# data/quickstart/ (images in <split>_images/).
procedural_train = dict(
    type='HumanImageDataset',
    data_root='data/quickstart/',
    ann_file='train.npz',
    data_prefix=dict(img=''),
    dataset_name='procedural',
    convention='smpl_49')
procedural_test = dict(
    type='HumanImageDataset',
    data_root='data/quickstart/',
    ann_file='test.npz',
    data_prefix=dict(img=''),
    dataset_name='procedural',
    convention='smpl_49',
    test_mode=True)
