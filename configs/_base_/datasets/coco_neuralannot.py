# COCO 2017 train persons with NeuralAnnot pseudo-GT SMPL fits (Moon et al. 2022), the COCO
# fine-tuning data of the paper's code: data/preprocessed_datasets/coco_2017_train_neuralannot.npz,
# a HumanData file (image_path, bbox_xywh, keypoints2d in 'coco', smpl dict) converted from
# NeuralAnnot's MSCOCO_train_SMPL_NeuralAnnot.json + COCO person_keypoints_train2017.json. mmhpse
# ships no converter for it yet (mmhuman3d's mscoco_neural_annot.py, on a side branch, writes
# SMPL-X HumanData 1.0 instead). Images under data/datasets/coco/.
coco_neuralannot_train = dict(
    type='HumanImageDataset',
    data_root='data/',
    ann_file='preprocessed_datasets/coco_2017_train_neuralannot.npz',
    data_prefix=dict(img='datasets/coco/'),
    dataset_name='coco',
    convention='smpl_49')
