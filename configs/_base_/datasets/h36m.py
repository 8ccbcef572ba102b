# Human3.6M training set: S1, S5, S6, S7, S8, every 5th frame (~312 K crops), mmhuman3d / SPIN
# layout: data/preprocessed_datasets/h36m_train.npz (HumanData written by mmhuman3d's
# H36mConverter, or SPIN's datasets/preprocess/h36m_train.py .npz - both are read as they are),
# images under data/datasets/h36m/. That file has no SMPL; with MoSh fits use
# h36m_mosh_train.npz (H36mConverter with mosh). Semi-supervised runs add
# indices_file='data/label_fractions/h36m_train_frac10_seed0.npy'
# (written by tools/misc/make_label_fractions.py).
# The authors' training file with NeuralAnnot SMPL (same subjects and frames) is written from the
# Pose2Mesh / I2L-MeshNet annotation release by tools/dataset_converters/h36m.py --split train
# (docs/datasets.md).
h36m_train = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/h36m_train.npz',
    data_prefix=dict(img='datasets/h36m/'),
    dataset_name='h36m',
    convention='smpl_49')
