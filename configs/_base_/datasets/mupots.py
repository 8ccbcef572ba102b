# MuPoTS-3D test set (20 sequences, 17 joints of MPI-INF-3DHP's test convention):
# data/preprocessed_datasets/mupots3d_test.npz, a HumanData file as written by mmhuman3d's
# MuPoTS3D converter (side branch; keys image_path, bbox_xywh, keypoints2d/3d in
# 'mpi_inf_3dhp_test'), images under data/datasets/mupots3d/. Evaluated with
# MeshMetric(dataset='mupots').
mupots_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/mupots3d_test.npz',
    data_prefix=dict(img='datasets/mupots3d/'),
    dataset_name='mupots',
    convention='smpl_49',  # holds all 17 test joints by name
    test_mode=True)
