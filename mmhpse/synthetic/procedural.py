"""Procedural humans: the (surrogate) SMPL body rendered in random poses, shapes, cameras and
backgrounds, with exact ground truth, written as an mmhuman3d HumanData ``.npz`` + image folder.

Camera frame: OpenCV (x right, y down, z forward), pixel centres at integer coordinates
(rendering: :mod:`mmhpse.synthetic.render`).
"""
import os
import os.path as osp

import numpy as np

from .pose_prior import POSE_LIMITS, sample_body_pose  # noqa: F401  (re-exported)
from .render import BodyRenderer, project

GENDERS = ('neutral', 'male', 'female')
# Colours of the parts by owning joint; left and right sides differ so that the side is visible.
_PALETTE = np.array([
    [200, 170, 150], [60, 110, 200], [200, 80, 60], [210, 190, 170], [70, 130, 220],
    [220, 100, 80], [190, 170, 160], [90, 150, 230], [230, 120, 100], [200, 180, 165],
    [110, 170, 240], [240, 140, 120], [230, 200, 180], [80, 200, 120], [220, 200, 70],
    [240, 210, 190], [60, 180, 100], [210, 180, 50], [90, 210, 140], [230, 190, 80],
    [120, 230, 160], [240, 210, 110], [140, 240, 180], [250, 220, 140]
], dtype=np.float64) / 255.


def sample_global_orient(rng, num, yaw_range=np.pi / 4, full_turn_prob=0.0):
    """Camera-frame global orientations ``(num, 3)``: upright (SMPL's y up -> image y down),
    facing the camera within ``yaw_range`` (a ``full_turn_prob`` share with any yaw), with small
    pitch / roll."""
    from scipy.spatial.transform import Rotation
    yaw = np.where(rng.random(num) < full_turn_prob, rng.uniform(-np.pi, np.pi, num),
                   rng.uniform(-yaw_range, yaw_range, num))
    pitch, roll = rng.uniform(-0.15, 0.15, num), rng.uniform(-0.1, 0.1, num)
    body = Rotation.from_euler('YXZ', np.stack([yaw, pitch, roll], 1))
    return (Rotation.from_rotvec([np.pi, 0., 0.]) * body).as_rotvec()


def make_background(rng, height, width, clutter=0.3):
    """A random ``(H, W, 3)`` uint8 background: smooth noise, a gradient or rectangles, plus
    grain, at half saturation and ``clutter`` times its contrast (1: full contrast, 0: one flat
    colour), so that the body's part colours stand out."""
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
    # half the saturation: the body's part colours stay the most saturated thing in the image
    img = 0.5 * img + 0.5 * img.mean(-1, keepdims=True)
    mean = img.mean((0, 1), keepdims=True)
    return np.clip(mean + clutter * (img - mean), 0, 255).astype(np.uint8)


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


def _render_chunk(scene, job):
    """Place and render the samples ``idx`` of one worker; write their images.

    Returns:
        tuple: root offsets ``(n, 3)`` (camera frame) and silhouette boxes ``(n, 5)``.
    """
    import cv2
    idx, v_rel, focal, princpt, target, frac, shade, paths = job
    height, width = scene['size']
    renderer = BodyRenderer(scene['faces'], height, width)
    offsets, boxes = np.zeros((len(idx), 3)), np.zeros((len(idx), 5))
    try:
        for k, i in enumerate(idx):
            offsets[k] = _place(v_rel[k], focal[k], princpt[k], target[k], frac[k],
                                (height, width))
            colors = np.clip(_PALETTE[scene['part']] * shade[k], 0, 1)
            rgb, mask = renderer.render(v_rel[k] + offsets[k], colors, focal[k], princpt[k])
            if not mask.any():
                raise RuntimeError(f'sample {i}: the rendered body is empty')
            # the background depends on (seed, sample) only, whatever the number of workers
            img = make_background(np.random.default_rng([scene['seed'], int(i)]), height, width,
                                  scene['clutter'])
            img[mask] = rgb[mask]
            ys, xs = np.nonzero(mask)
            boxes[k] = [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1, 1.]
            cv2.imwrite(paths[k], img[..., ::-1])
    finally:
        renderer.close()
    return offsets, boxes


def generate_procedural_dataset(out_file, body_model_dir, num_samples, img_size=(256, 256),
                                seed=0, image_ext='.jpg', batch_size=128,
                                pose_prior='primitives', clutter=0.3, workers=1):
    """Render ``num_samples`` humans and write a HumanData ``.npz`` plus an image folder.

    Args:
        out_file (str): the ``.npz`` to write; images go to ``<out_file stem>_images/`` beside it
            and ``image_path`` holds paths relative to the ``.npz``'s folder.
        body_model_dir (str): SMPL folder (``smpl/SMPL_{NEUTRAL,MALE,FEMALE}.pkl``, regressors).
        num_samples (int): number of images (one person each).
        img_size (tuple): ``(height, width)``.
        seed (int): everything (poses, shapes, genders, cameras, backgrounds) follows the seed;
            the files do not depend on ``workers``.
        pose_prior (str): ``'primitives'`` (correlated motion primitives, the default) or
            ``'uniform'`` (independent angles), see :mod:`mmhpse.synthetic.pose_prior`.
        clutter (float): contrast of the backgrounds (see :func:`make_background`).
        workers (int): processes that render (each with its own off-screen context).

    Returns:
        dict: the HumanData content written.
    """
    import torch

    from mmhpse.models.body_models.smpl import SMPL
    height, width = img_size
    rng = np.random.default_rng(seed)
    gender_idx = rng.choice(3, size=num_samples, p=[0.4, 0.3, 0.3])
    global_orient = sample_global_orient(rng, num_samples)
    body_pose = sample_body_pose(rng, num_samples, pose_prior)
    betas = np.clip(rng.normal(0, 1, (num_samples, 10)), -2., 2.)
    focal = np.repeat(rng.uniform(1.0, 2.5, (num_samples, 1)) * max(height, width), 2, 1)
    princpt = (np.array([width - 1, height - 1]) / 2 +
               rng.uniform(-0.05, 0.05, (num_samples, 2)) * [width, height])
    target = princpt + rng.uniform(-0.1, 0.1, (num_samples, 2)) * [width, height]
    frac = rng.uniform(0.5, 0.9, num_samples)
    shade = rng.uniform(0.7, 1.05, (num_samples, 1))  # brightness; the part colours keep hue

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
    root = osp.dirname(osp.abspath(out_file))
    os.makedirs(osp.join(root, f'{stem}_images'), exist_ok=True)
    part = models['neutral'].lbs_weights.argmax(1).numpy()
    image_paths = [f'{stem}_images/{i:06d}{image_ext}' for i in range(num_samples)]
    jobs = [(idx, vertices[idx] - pelvis[idx, None], focal[idx], princpt[idx], target[idx],
             frac[idx], shade[idx], [osp.join(root, image_paths[i]) for i in idx])
            for idx in np.array_split(np.arange(num_samples), max(1, workers))]
    scene = dict(faces=np.asarray(models['neutral'].faces), part=part, size=(height, width),
                 seed=seed, clutter=clutter)
    if workers > 1:
        import multiprocessing

        from . import render

        # a forked child of a process that made an OpenGL context hangs: spawn (slower to
        # start) once this process has rendered, fork otherwise
        method = 'spawn' if render.CONTEXTS_CREATED else 'fork'
        with multiprocessing.get_context(method).Pool(workers) as pool:
            placed = pool.starmap(_render_chunk, [(scene, job) for job in jobs])
    else:
        placed = [_render_chunk(scene, job) for job in jobs]
    transl, bboxes = np.zeros((num_samples, 3)), np.zeros((num_samples, 5))
    for (idx, *_), (offsets, boxes) in zip(jobs, placed):
        transl[idx], bboxes[idx] = offsets - pelvis[idx], boxes
    vertices += transl[:, None]
    joints += transl[:, None]

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
                     camera_frame='opencv', pose_prior=pose_prior, clutter=clutter),
    }
    np.savez_compressed(out_file, **human_data)
    return human_data
