# Human3.6M training set of the paper's recipe (the authors' data/Human36M/dataset.py): S1, S5,
# S6, S7, S8, all cameras, every 5th frame (~312 K crops), WITH NeuralAnnot SMPL pseudo-GT moved
# into each camera: data/preprocessed_datasets/h36m_train_neuralannot.npz, written from the
# Pose2Mesh / I2L-MeshNet annotation release + Human36M_subject*_SMPL_NeuralAnnot.json by
# (docs/datasets.md)
#   python tools/dataset_converters/h36m.py --root data/datasets/h36m \
#       --out data/preprocessed_datasets/h36m_train_neuralannot.npz --split train
# Images under data/datasets/h36m/ (images/s_01_act_02_subact_01_ca_01/...). Frames without a
# fit keep has_smpl=0, as in the authors' loader. mmhuman3d's / SPIN's file without SMPL is the
# other base, h36m_mmhuman3d.py. Semi-supervised runs add
# indices_file='data/preprocessed_datasets/fractions/h36m_train_neuralannot_frac10_seed0.npy'
# (written by tools/misc/make_label_fractions.py).
h36m_train = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/h36m_train_neuralannot.npz',
    data_prefix=dict(img='datasets/h36m/'),
    dataset_name='h36m',
    convention='smpl_49')
