# COCO train2017 person crops, the data of "SSL on human data": one sample per non-crowd person box
# of at least 32x32 px (CocoPersonCrops, mmhpse/selfsup/datasets/coco_person_crops.py); the
# CropPersonBox transform enlarges the box 1.25x and clips it to the image. mmpretrain scope;
# configs add custom_imports=dict(imports=['mmhpse.selfsup']) and set the pipeline:
#   train_dataloader = dict(dataset=dict(_base_.coco_person_crops, _delete_=True, pipeline=...))
coco_person_crops = dict(
    type='CocoPersonCrops',
    data_root='data/coco/',
    ann_file='annotations/person_keypoints_train2017.json',
    data_prefix=dict(img_path='train2017/'),
    min_size=32)
