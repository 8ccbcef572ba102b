# MPI-INF-3DHP, images under data/datasets/mpi_inf_3dhp/.
# Test set data/preprocessed_datasets/mpi_inf_3dhp_test.npz (the 17 test joints, keypoints3d =
# univ_annot3 as the official protocol), written from mpi_inf_3dhp_test_set/TS*/annot_data.mat by
# (docs/datasets.md)
#   python tools/dataset_converters/mpi_inf_3dhp.py --root data/datasets/mpi_inf_3dhp \
#       --out data/preprocessed_datasets/mpi_inf_3dhp_test.npz
# Training set mpi_inf_3dhp_train.npz: mmhpse has no converter for it; mmhuman3d's
# MpiInf3dhpConverter (mode 'train') or SPIN's mpi_inf_3dhp_train.npz read as they are.
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
