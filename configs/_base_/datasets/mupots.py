# MuPoTS-3D test set (20 sequences, 17 joints of MPI-INF-3DHP's test convention):
# data/preprocessed_datasets/mupots3d_test.npz (HumanData: keypoints3d = univ_annot3, the GT of
# the official 3DPCK; meta.sequence / frame / person / occlusion, fitted intrinsics), from the
# official MultiPersonTestSet/TS*/{annot,occlusion}.mat by (docs/datasets.md)
#   python tools/dataset_converters/mupots3d.py --root data/datasets/mupots3d \
#       --out data/preprocessed_datasets/mupots3d_test.npz
# Images under data/datasets/mupots3d/ (MultiPersonTestSet/...). Evaluated with
# MeshMetric(dataset='mupots').
mupots_test = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/mupots3d_test.npz',
    data_prefix=dict(img='datasets/mupots3d/'),
    dataset_name='mupots',
    convention='smpl_49',  # holds all 17 test joints by name
    test_mode=True)
