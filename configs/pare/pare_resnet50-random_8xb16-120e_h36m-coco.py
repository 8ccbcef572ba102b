# PARE fine-tuning (the paper's recipe) from the study's random initialisation: convs
# N(0, 0.001), BN (1, 0), no checkpoint.
_base_ = ['./pare_resnet50-scratch_8xb16-120e_h36m-coco.py', '../random/resnet50_random-init.py']
