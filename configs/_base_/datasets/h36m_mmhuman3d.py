# Human3.6M training set as mmhuman3d / SPIN prepare it: the same subjects and frames as the
# paper's (S1, S5, S6, S7, S8, every 5th frame) but WITHOUT SMPL (no pose / shape / SMPL-joint
# supervision): data/preprocessed_datasets/h36m_train.npz (HumanData written by mmhuman3d's
# H36mConverter, or SPIN's datasets/preprocess/h36m_train.py .npz - both are read as they are);
# h36m_mosh_train.npz (H36mConverter with MoSh fits) has SMPL. Images under data/datasets/h36m/.
# The paper's recipe uses h36m.py (NeuralAnnot SMPL, tools/dataset_converters/h36m.py).
h36m_mmhuman3d_train = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/h36m_train.npz',
    data_prefix=dict(img='datasets/h36m/'),
    dataset_name='h36m',
    convention='smpl_49')
