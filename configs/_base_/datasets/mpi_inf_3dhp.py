# MPI-INF-3DHP: training set data/preprocessed_datasets/mpi_inf_3dhp_train.npz and test set
# mpi_inf_3dhp_test.npz, written by mmhuman3d's MpiInf3dhpConverter (modes 'train' / 'test'; the
# test set holds the 17 test joints), images under data/datasets/mpi_inf_3dhp/. SPIN's
# mpi_inf_3dhp_train.npz (datasets/preprocess/mpi_inf_3dhp.py) reads as well.
mpi_inf_3dhp_train = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/mpi_inf_3dhp_train.npz',
    data_prefix=dict(img='datasets/mpi_inf_3dhp/'),
    dataset_name='mpi_inf_3dhp',
    convention='smpl_49')
mpi_inf_3dhp_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/mpi_inf_3dhp_test.npz',
    data_prefix=dict(img='datasets/mpi_inf_3dhp/'),
    dataset_name='mpi_inf_3dhp',
    convention='smpl_49',  # holds all 17 test joints by name
    test_mode=True)
