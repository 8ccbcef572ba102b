"""Estimate the SMPL mesh of a person in an image: overlay PNG, side-view PNG and an ``.obj``.

Example::

    python demo/image_demo.py demo/person.jpg configs/pare/CONFIG.py CHECKPOINT.pth \\
        --bbox 120 40 200 420 --out-dir outputs/demo

Without ``--bbox`` the whole image is the person box. When the SMPL files that the config names
are missing (SMPL is licensed and must be downloaded by each user), a surrogate body model
(``mmhpse.models.body_models.surrogate``) is generated in a cache folder and used instead; the
demo then says so, because the mesh is not SMPL's.

Rendering is off-screen with pyrender (``PYOPENGL_PLATFORM=osmesa`` unless already set; use
``egl`` on a GPU machine). The camera is the predicted weak-perspective camera turned into the
crop's perspective camera (:func:`mmhpse.models.utils.weak_perspective_to_translation`) and mapped
back to the original image through the inverse of the crop's affine warp.
"""
import argparse
import os
import os.path as osp
from typing import Optional, Tuple

import numpy as np

os.environ.setdefault('PYOPENGL_PLATFORM', 'osmesa')

SURROGATE_NOTE = ('NOTE: the SMPL body model files named by the config are missing ({path}); '
                  'this demo uses a generated SURROGATE body model from {surrogate}. The mesh '
                  'is a stand-in humanoid, not SMPL. Put the licensed SMPL files there (or pass '
                  '--body-model-dir) for real SMPL meshes.')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='3DHPSE config file')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint file (without one the weights are untrained)')
    parser.add_argument('--bbox', type=float, nargs=4, metavar=('X', 'Y', 'W', 'H'),
                        help='person box in image pixels (default: the whole image)')
    parser.add_argument('--out-dir', default='outputs/demo', help='where the outputs go')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--body-model-dir',
                        help='body-model folder (mmhuman3d layout) replacing the config\'s')
    parser.add_argument('--surrogate-dir', help='where a surrogate body model is generated '
                        'when SMPL is missing (default: $MMHPSE_CACHE or ~/.cache/mmhpse)')
    parser.add_argument('--alpha', type=float, default=0.8, help='opacity of the overlay')
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- body model
def _smpl_file_exists(body_model_cfg: dict) -> bool:
    from mmhpse.models.body_models.smpl_io import resolve_model_file
    try:
        resolve_model_file(body_model_cfg['model_path'], body_model_cfg.get('gender', 'neutral'))
    except (FileNotFoundError, OSError, ValueError):
        return False
    return True


def _body_model_root(cfg) -> str:
    """The body-model folder a config uses (``body_model_dir``, else the SMPL path's parent)."""
    if cfg.get('body_model_dir'):
        return osp.normpath(cfg.body_model_dir)
    path = osp.normpath(cfg.model.body_model.model_path)
    return osp.dirname(path) if osp.basename(path) in ('smpl', ) or path.endswith('.pkl') \
        else path


def _replace_prefix(node, old: str, new: str):
    """Every string of a config tree that is ``old`` or a path under ``old``, moved to ``new``."""
    if isinstance(node, str):
        norm = osp.normpath(node)
        if norm == old or norm.startswith(old + os.sep):
            return osp.join(new, osp.relpath(norm, old)) if norm != old else new
        return node
    if isinstance(node, dict):
        for key in list(node.keys()):
            node[key] = _replace_prefix(node[key], old, new)
        return node
    if isinstance(node, (list, tuple)):
        return type(node)(_replace_prefix(v, old, new) for v in node)
    return node


def default_surrogate_dir() -> str:
    cache = os.environ.get('MMHPSE_CACHE', osp.join(osp.expanduser('~'), '.cache', 'mmhpse'))
    return osp.join(cache, 'surrogate_body_model')


def prepare_body_model(cfg, body_model_dir: Optional[str] = None,
                       surrogate_dir: Optional[str] = None) -> Optional[str]:
    """Point ``cfg.model`` at an existing body model; generate the surrogate when SMPL is missing.

    Args:
        cfg (Config): 3DHPSE config (changed in place).
        body_model_dir (str, optional): Folder replacing the config's body-model folder.
        surrogate_dir (str, optional): Where the surrogate goes (reused when already there).

    Returns:
        str | None: The surrogate folder when the surrogate is used, else None.
    """
    root = _body_model_root(cfg)
    if body_model_dir is not None:
        cfg.model = _replace_prefix(cfg.model, root, osp.normpath(body_model_dir))
        root = osp.normpath(body_model_dir)
    if _smpl_file_exists(cfg.model.body_model):
        return None
    from mmhpse.models.body_models.surrogate import write_surrogate_body_model
    surrogate_dir = osp.abspath(surrogate_dir or default_surrogate_dir())
    if not osp.isfile(osp.join(surrogate_dir, 'smpl', 'SMPL_NEUTRAL.pkl')):
        write_surrogate_body_model(surrogate_dir)
    print(SURROGATE_NOTE.format(path=cfg.model.body_model.model_path, surrogate=surrogate_dir))
    cfg.model = _replace_prefix(cfg.model, root, surrogate_dir)
    return surrogate_dir


# ----------------------------------------------------------------------------- camera
def crop_camera_to_image(focal_length: float, crop_hw: Tuple[int, int],
                         warp_mat: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The crop's pinhole camera seen from the original image.

    A camera-frame point ``X`` lands at crop pixel ``K_crop X / Z`` with
    ``K_crop = [[f, 0, W/2], [0, f, H/2], [0, 0, 1]]``; the original pixel is ``A^-1`` of that,
    with ``A`` the 3x3 form of ``warp_mat`` (image -> crop). ``A^-1 K_crop`` is factored into
    intrinsics ``K`` (no skew) times a rotation ``R`` about the optical axis (the crop's
    rotation), so that image pixel ``= K (R X) / Z``.

    Args:
        focal_length (float): Crop focal length in pixels.
        crop_hw (tuple[int, int]): Crop ``(H, W)``.
        warp_mat (ndarray): ``(2, 3)`` affine from original image to crop pixels.

    Returns:
        tuple[ndarray, ndarray]: ``K (3, 3)`` of the original image and ``R (3, 3)``.
    """
    h, w = crop_hw
    k_crop = np.array([[focal_length, 0., w / 2.], [0., focal_length, h / 2.], [0., 0., 1.]])
    affine = np.vstack([np.asarray(warp_mat, dtype=np.float64).reshape(2, 3), [0., 0., 1.]])
    k_img = np.linalg.inv(affine) @ k_crop
    lin = k_img[:2, :2]
    angle = np.arctan2(lin[1, 0], lin[0, 0])
    c, s = np.cos(angle), np.sin(angle)
    rot2 = np.array([[c, -s], [s, c]])
    diag = lin @ rot2.T
    if abs(diag[0, 1]) + abs(diag[1, 0]) > 1e-6 * np.abs(diag).max():
        raise ValueError(f'warp_mat {warp_mat.tolist()} is not a rotation with per-axis scales; '
                         'the crop camera cannot be expressed without skew')
    k = np.array([[diag[0, 0], 0., k_img[0, 2]], [0., diag[1, 1], k_img[1, 2]], [0., 0., 1.]])
    rot = np.eye(3)
    rot[:2, :2] = rot2
    return k, rot


def side_view(vertices: np.ndarray, degrees: float = 90.) -> np.ndarray:
    """Vertices ``(V, 3)`` (camera frame) turned about the camera's vertical axis around their
    centre, which keeps the centre's depth and image position."""
    rad = np.deg2rad(degrees)
    c, s = np.cos(rad), np.sin(rad)
    rot = np.array([[c, 0., s], [0., 1., 0.], [-s, 0., c]])
    centre = vertices.mean(0)
    return (vertices - centre) @ rot.T + centre


# ----------------------------------------------------------------------------- rendering
MESH_COLOR = (0.65, 0.74, 0.86)  # RGB in [0, 1]


def render_mesh_rgb(vertices: np.ndarray, faces: np.ndarray, k: np.ndarray,
                    hw: Tuple[int, int], background: Optional[int] = None,
                    color: Tuple[float, float, float] = MESH_COLOR):
    """Render a mesh given in the OpenCV camera frame with intrinsics ``k`` (the project's
    :class:`~mmhpse.datasets.procedural.BodyRenderer`, pyrender off-screen).

    Args:
        vertices (ndarray): ``(V, 3)``, z forward.
        faces (ndarray): ``(F, 3)``.
        k (ndarray): ``(3, 3)`` intrinsics without skew.
        hw (tuple[int, int]): Image ``(H, W)``.
        background (int, optional): Grey level of the background of the returned image; None
            returns the RGB rendering and its mask instead.

    Returns:
        ndarray | tuple: BGR uint8 ``(H, W, 3)`` on the background, or ``(rgb, mask)``.
    """
    from mmhpse.datasets.procedural import BodyRenderer
    depth = vertices[:, 2]
    if depth.min() <= 0:
        raise ValueError(f'the mesh is not in front of the camera (min depth {depth.min():.3f})')
    renderer = BodyRenderer(faces, int(hw[0]), int(hw[1]))
    # the predicted depth can be far beyond the default clipping range (small crops, f = 5000)
    renderer.camera.znear, renderer.camera.zfar = 0.5 * depth.min(), 2. * depth.max()
    try:
        colors = np.tile(np.asarray(color, dtype=np.float64), (len(vertices), 1))
        rgb, mask = renderer.render(vertices, colors, (k[0, 0], k[1, 1]), (k[0, 2], k[1, 2]))
    finally:
        renderer.close()
    if background is None:
        return rgb, mask
    out = np.full(rgb.shape, background, np.uint8)
    out[mask] = rgb[mask][:, ::-1]
    return out


def overlay_mesh(image: np.ndarray, vertices: np.ndarray, faces: np.ndarray, k: np.ndarray,
                 alpha: float = 0.8) -> np.ndarray:
    """Blend the rendered mesh into a BGR ``image`` (unchanged where the mesh is absent)."""
    rgb, mask = render_mesh_rgb(vertices, faces, k, image.shape[:2])
    out = image.copy()
    blend = (1 - alpha) * image[mask].astype(np.float64) + alpha * rgb[mask][:, ::-1]
    out[mask] = np.clip(np.round(blend), 0, 255).astype(np.uint8)
    return out


# ----------------------------------------------------------------------------- outputs
def mesh_in_image_camera(model, sample) -> Tuple[np.ndarray, np.ndarray]:
    """Vertices of a predicted sample in the original image's camera frame, and its ``K``.

    Returns:
        tuple[ndarray, ndarray]: ``vertices (V, 3)`` (x right, y down, z forward, metres) and
        ``K (3, 3)`` such that image pixel = ``K v / v_z``.
    """
    import torch

    from mmhpse.models.utils import weak_perspective_to_translation
    crop_hw = tuple(int(v) for v in sample.metainfo['img_shape'])
    cam = torch.as_tensor(sample.pred_cam, dtype=torch.float64).reshape(1, 3)
    transl = weak_perspective_to_translation(
        cam, model.focal_length, crop_hw, getattr(model, 'norm_size', None))[0].numpy()
    k, rot = crop_camera_to_image(model.focal_length, crop_hw, sample.metainfo['warp_mat'])
    vertices = np.asarray(sample.pred_vertices.cpu(), dtype=np.float64) + transl
    return vertices @ rot.T, k


def write_obj(path: str, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Write a triangle mesh as Wavefront ``.obj`` (trimesh, vertex order kept)."""
    import trimesh
    trimesh.Trimesh(vertices=vertices, faces=faces, process=False).export(path)


def main(argv=None):
    args = parse_args(argv)
    import cv2
    from mmengine.config import Config

    from mmhpse.apis import inference_mesh_model, init_model

    cfg = Config.fromfile(args.config)
    surrogate = prepare_body_model(cfg, args.body_model_dir, args.surrogate_dir)
    if args.checkpoint is None:
        print('NOTE: no checkpoint given; the model has untrained weights.')
    model = init_model(cfg, args.checkpoint, device=args.device)
    image = cv2.imread(args.img, cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f'image_demo: cannot read image {args.img}')
    bboxes = None if args.bbox is None else np.asarray([args.bbox], dtype=np.float32)
    sample = inference_mesh_model(model, image, bboxes)[0]

    vertices, k = mesh_in_image_camera(model, sample)
    faces = np.asarray(model.body_model.faces)
    h, w = image.shape[:2]
    overlay = overlay_mesh(image, vertices, faces, k, alpha=args.alpha)
    side = render_mesh_rgb(side_view(vertices), faces, k, (h, w), background=255)

    os.makedirs(args.out_dir, exist_ok=True)
    stem = osp.splitext(osp.basename(args.img))[0]
    paths = dict(overlay=osp.join(args.out_dir, f'{stem}_mesh.png'),
                 side=osp.join(args.out_dir, f'{stem}_side.png'),
                 obj=osp.join(args.out_dir, f'{stem}.obj'))
    cv2.imwrite(paths['overlay'], overlay)
    cv2.imwrite(paths['side'], side)
    write_obj(paths['obj'], np.asarray(sample.pred_vertices.cpu()), faces)
    for kind, path in paths.items():
        print(f'{kind:8s} {path}')
    if surrogate:
        print(f'(mesh from the SURROGATE body model in {surrogate}, not SMPL)')


if __name__ == '__main__':
    main()
