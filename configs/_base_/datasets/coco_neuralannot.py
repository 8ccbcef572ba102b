# COCO 2017 train persons with NeuralAnnot pseudo-GT SMPL fits (Moon et al. 2022), the COCO
# fine-tuning data of the paper's code: data/preprocessed_datasets/coco_2017_train_neuralannot.npz
# (HumanData: COCO-17 keypoints2d, camera-frame smpl with transl, meta.focal / principal_point),
# written from COCO's person_keypoints_train2017.json + NeuralAnnot's
# MSCOCO_train_SMPL_NeuralAnnot.json by (docs/datasets.md)
#   python tools/dataset_converters/coco_neuralannot.py --root data/datasets/coco \
#       --out data/preprocessed_datasets/coco_2017_train_neuralannot.npz
# with the authors' filters (no crowd, >= 1 keypoint, a fit per annotation id). Images under
# data/datasets/coco/ (train2017/).
coco_neuralannot_train = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/coco_2017_train_neuralannot.npz',
    data_prefix=dict(img='datasets/coco/'),
    dataset_name='coco',
    convention='smpl_49')
