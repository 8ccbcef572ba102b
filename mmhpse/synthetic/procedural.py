"""Procedural humans: the (surrogate) SMPL body rendered in random poses, shapes, cameras and
backgrounds, with exact ground truth, written as an mmhuman3d HumanData ``.npz`` + image folder.

Camera frame: OpenCV (x right, y down, z forward), pixel centres at integer coordinates
(rendering: :mod:`mmhpse.synthetic.render`).
"""
import os
import os.path as osp

import numpy as np

from .render import BodyRenderer, project

# Axis-angle component ranges (radians) for the centre and left joints, in SMPL's joint frames
# (rest pose: T-pose, y up, facing +z). Right joints use the mirrored ranges (x, -y, -z).
POSE_LIMITS = {
    3: ((-0.2, 0.5), (-0.3, 0.3), (-0.2, 0.2)), 6: ((-0.1, 0.3), (-0.2, 0.2), (-0.15, 0.15)),
    9: ((-0.1, 0.3), (-0.2, 0.2), (-0.15, 0.15)), 12: ((-0.3, 0.5), (-0.4, 0.4), (-0.2, 0.2)),
    15: ((-0.3, 0.4), (-0.4, 0.4), (-0.2, 0.2)),
    1: ((-1.6, 0.4), (-0.4, 0.4), (-0.2, 0.7)), 4: ((0.0, 2.2), (-0.1, 0.1), (-0.1, 0.1)),
    7: ((-0.4, 0.5), (-0.2, 0.2), (-0.3, 0.3)), 10: ((-0.2, 0.2), (-0.1, 0.1), (-0.1, 0.1)),
    13: ((-0.1, 0.1), (-0.2, 0.2), (-0.2, 0.3)), 16: ((-0.8, 0.8), (-1.3, 0.6), (-1.4, 0.8)),
    18: ((-0.4, 0.4), (-2.3, 0.0), (-0.1, 0.1)), 20: ((-0.6, 0.6), (-0.3, 0.3), (-0.6, 0.6)),
    22: ((-0.2, 0.2), (-0.2, 0.2), (-0.3, 0.3)),
}
GENDERS = ('neutral', 'male', 'female')
# Colours of the parts by owning joint; left and right sides differ so that the side is visible.
_PALETTE = np.array([
    [200, 170, 150], [60, 110, 200], [200, 80, 60], [210, 190, 170], [70, 130, 220],
    [220, 100, 80], [190, 170, 160], [90, 150, 230], [230, 120, 100], [200, 180, 165],
    [110, 170, 240], [240, 140, 120], [230, 200, 180], [80, 200, 120], [220, 200, 70],
    [240, 210, 190], [60, 180, 100], [210, 180, 50], [90, 210, 140], [230, 190, 80],
    [120, 230, 160], [240, 210, 110], [140, 240, 180], [250, 220, 140]
], dtype=np.float64) / 255.


def sample_body_pose(rng, num):
    """Random plausible body poses ``(num, 23, 3)`` axis-angle, uniform in ``POSE_LIMITS``."""
    from mmhpse.utils.geometry import SMPL_FLIP_PERM
    lo, hi = np.zeros((24, 3)), np.zeros((24, 3))
    for j, limits in POSE_LIMITS.items():
        lo[j], hi[j] = np.array(limits).T
        r = SMPL_FLIP_PERM[j]
        if r != j:  # mirrored ranges: x kept, y and z negated
            lo[r] = [lo[j][0], -hi[j][1], -hi[j][2]]
            hi[r] = [hi[j][0], -lo[j][1], -lo[j][2]]
    return rng.uniform(lo, hi, size=(num, 24, 3))[:, 1:]


def sample_global_orient(rng, num, full_turn_prob=0.1):
    """Camera-frame global orientations ``(num, 3)``: upright (SMPL's y up -> image y down) and
    mostly facing the camera (yaw within +-60 deg; ``full_turn_prob`` of any yaw), with small
    pitch / roll."""
    from scipy.spatial.transform import Rotation
    yaw = np.where(rng.random(num) < full_turn_prob, rng.uniform(-np.pi, np.pi, num),
                   rng.uniform(-np.pi / 3, np.pi / 3, num))
    pitch, roll = rng.uniform(-0.25, 0.25, num), rng.uniform(-0.2, 0.2, num)
    body = Rotation.from_euler('YXZ', np.stack([yaw, pitch, roll], 1))
    return (Rotation.from_rotvec([np.pi, 0., 0.]) * body).as_rotvec()


def make_background(rng, height, width):
    """A random ``(H, W, 3)`` uint8 background: smooth noise, a gradient or rectangles, plus
    grain."""
    import cv2
    kind = rng.integers(3)
    if kind == 0:
        cells = rng.integers(2, 9)
        low = rng.uniform(0, 255, size=(cells, cells, 3)).astype(np.float32)
        img = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
    elif kind == 1:
        a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        ang = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[:height, :width]
        t = (np.cos(ang) * xx / width + np.sin(ang) * yy / height)
        t = (t - t.min()) / max(np.ptp(t), 1e-6)
        img = a + t[..., None] * (b - a)
    else:
        img = np.ones((height, width, 3)) * rng.uniform(0, 255, 3)
        for _ in range(rng.integers(4, 16)):
            x0, x1 = np.sort(rng.integers(0, width, 2))
            y0, y1 = np.sort(rng.integers(0, height, 2))
            img[y0:y1 + 1, x0:x1 + 1] = rng.uniform(0, 255, 3)
    img = img + rng.normal(0, rng.uniform(2, 12), size=(height, width, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _place(v_rel, focal, princpt, target, frac, size):
    """Depth and offset that put a root-relative mesh at ``target`` px, ``frac`` of the image
    tall, fully inside the image and in front of the camera."""
    height, width = size
    extent = max(np.ptp(v_rel[:, 1]) / (frac * height), np.ptp(v_rel[:, 0]) / (frac * width))
    depth = focal[1] * extent + max(0., -v_rel[:, 2].min()) + 0.3
    for _ in range(60):
        offset = np.array([(target[0] - princpt[0]) / focal[0],
                           (target[1] - princpt[1]) / focal[1], 1.]) * depth
        v = v_rel + offset
        uv = project(v, focal, princpt)
        if (v[:, 2].min() > 0.2 and uv.min() >= 1 and uv[:, 0].max() <= width - 2
                and uv[:, 1].max() <= height - 2):
            return offset
        depth *= 1.08
        target = 0.8 * np.asarray(target) + 0.2 * np.array([width - 1, height - 1]) / 2
    raise RuntimeError('could not place the body inside the image')


def generate_procedural_dataset(out_file, body_model_dir, num_samples, img_size=(256, 256),
                                seed=0, image_ext='.jpg', batch_size=128):
    """Render ``num_samples`` humans and write a HumanData ``.npz`` plus an image folder.

    Args:
        out_file (str): the ``.npz`` to write; images go to ``<out_file stem>_images/`` beside it
            and ``image_path`` holds paths relative to the ``.npz``'s folder.
        body_model_dir (str): SMPL folder (``smpl/SMPL_{NEUTRAL,MALE,FEMALE}.pkl``, regressors).
        num_samples (int): number of images (one person each).
        img_size (tuple): ``(height, width)``.
        seed (int): everything (poses, shapes, genders, cameras, backgrounds) follows the seed.

    Returns:
        dict: the HumanData content written.
    """
    import cv2
    import torch

    from mmhpse.models.body_models.smpl import SMPL
    height, width = img_size
    rng = np.random.default_rng(seed)
    gender_idx = rng.choice(3, size=num_samples, p=[0.4, 0.3, 0.3])
    global_orient = sample_global_orient(rng, num_samples)
    body_pose = sample_body_pose(rng, num_samples)
    betas = np.clip(rng.normal(0, 1, (num_samples, 10)), -2., 2.)
    focal = np.repeat(rng.uniform(1.0, 2.5, (num_samples, 1)) * max(height, width), 2, 1)
    princpt = (np.array([width - 1, height - 1]) / 2 +
               rng.uniform(-0.05, 0.05, (num_samples, 2)) * [width, height])
    target = princpt + rng.uniform(-0.1, 0.1, (num_samples, 2)) * [width, height]
    frac = rng.uniform(0.5, 0.9, num_samples)
    shade = rng.uniform(0.55, 1.05, (num_samples, 3))

    models = {g: SMPL(body_model_dir, gender=g) for g in GENDERS}
    vertices = np.zeros((num_samples, models['neutral'].num_vertices, 3))
    joints = np.zeros((num_samples, 49, 3))
    pelvis = np.zeros((num_samples, 3))
    with torch.no_grad():
        for g, name in enumerate(GENDERS):
            idx = np.nonzero(gender_idx == g)[0]
            for chunk in np.array_split(idx, max(1, int(np.ceil(len(idx) / batch_size)))):
                if len(chunk) == 0:
                    continue
                out = models[name](torch.from_numpy(global_orient[chunk]).float(),
                                   torch.from_numpy(body_pose[chunk]).float().reshape(-1, 69),
                                   torch.from_numpy(betas[chunk]).float())
                vertices[chunk] = out['vertices'].double().numpy()
                joints[chunk] = out['joints'].double().numpy()
                pelvis[chunk] = out['smpl_joints'][:, 0].double().numpy()
    joints_mask = models['neutral'].joints_mask.numpy().astype(np.float32)

    stem = osp.splitext(osp.basename(out_file))[0]
    img_dir = osp.join(osp.dirname(osp.abspath(out_file)), f'{stem}_images')
    os.makedirs(img_dir, exist_ok=True)
    renderer = BodyRenderer(models['neutral'].faces, height, width)
    part = models['neutral'].lbs_weights.argmax(1).numpy()
    transl = np.zeros((num_samples, 3))
    bboxes = np.zeros((num_samples, 5))
    image_paths = []
    try:
        for i in range(num_samples):
            offset = _place(vertices[i] - pelvis[i], focal[i], princpt[i], target[i], frac[i],
                            (height, width))
            transl[i] = offset - pelvis[i]
            vertices[i] += transl[i]
            joints[i] += transl[i]
            colors = np.clip(_PALETTE[part] * shade[i], 0, 1)
            rgb, mask = renderer.render(vertices[i], colors, focal[i], princpt[i])
            if not mask.any():
                raise RuntimeError(f'sample {i}: the rendered body is empty')
            img = make_background(np.random.default_rng([seed, i]), height, width)
            img[mask] = rgb[mask]
            ys, xs = np.nonzero(mask)
            bboxes[i] = [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1, 1.]
            rel = f'{stem}_images/{i:06d}{image_ext}'
            cv2.imwrite(osp.join(osp.dirname(osp.abspath(out_file)), rel), img[..., ::-1])
            image_paths.append(rel)
    finally:
        renderer.close()

    kp2d = project(joints, focal, princpt)
    inside = ((kp2d[..., 0] >= 0) & (kp2d[..., 0] <= width - 1) & (kp2d[..., 1] >= 0) &
              (kp2d[..., 1] <= height - 1))
    human_data = {
        '__key_strict__': False, '__data_len__': num_samples, '__keypoints_compressed__': False,
        'image_path': np.array(image_paths),
        'bbox_xywh': bboxes.astype(np.float32),
        'keypoints2d': np.concatenate([kp2d, (inside * joints_mask)[..., None]], -1)
        .astype(np.float32),
        'keypoints2d_mask': joints_mask, 'keypoints2d_convention': 'smpl_49',
        'keypoints3d': np.concatenate(
            [joints, np.broadcast_to(joints_mask[None, :, None], (num_samples, 49, 1))],
            -1).astype(np.float32),
        'keypoints3d_mask': joints_mask, 'keypoints3d_convention': 'smpl_49',
        'smpl': dict(global_orient=global_orient.astype(np.float32),
                     body_pose=body_pose.astype(np.float32), betas=betas.astype(np.float32),
                     transl=transl.astype(np.float32)),
        'meta': dict(gender=np.array([GENDERS[g] for g in gender_idx])),
        'cam_param': dict(focal_length=focal.astype(np.float32),
                          principal_point=princpt.astype(np.float32)),
        'config': 'procedural',
        'misc': dict(seed=seed, img_size=(height, width), body_model_dir=body_model_dir,
                     camera_frame='opencv'),
    }
    np.savez_compressed(out_file, **human_data)
    return human_data
