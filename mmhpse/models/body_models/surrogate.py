"""A surrogate SMPL body model, generated deterministically, in the official SMPL file layout.

SMPL is licensed and cannot be shipped. The surrogate is a humanoid built from tapered ellipsoids
around the bones of SMPL's rest skeleton (metres, y up, facing +z, the person's left at +x), with
SMPL's 24-joint kinematic tree, smooth linear-blend-skinning weights, 10 smooth shape directions,
small pose correctives and joint regressors, all exactly left/right mirror-symmetric.

Mirror symmetry (``S = diag(-1, 1, 1)``, ``sym = vert_sym_idxs``, ``perm`` = SMPL joint flip):
``v[i] = S v[sym[i]]``, ``weights[i, j] = weights[sym[i], perm[j]]``,
``shapedirs[i] = S shapedirs[sym[i]]``, regressor rows of mirrored joints are mirrored rows, and
``posedirs`` are such that the mesh of a mirrored pose is the mirrored mesh.
The pose correctives of joint ``j`` bulge the surface near ``j`` along its normal in proportion
to ``3 - trace(R_j)``; they only touch vertices skinned to ``j`` or its descendants.
"""
import numpy as np

from ...utils.geometry import SMPL_FLIP_PERM, SMPL_PARENTS
from .surrogate_parts import build_parts

H36M_FLIP_PERM = (0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13)
EXTRA_FLIP_PERM = (1, 0, 2, 3, 4, 5, 6, 7, 8)
MIRROR = np.array([-1., 1., 1.])

# smplx's extra vertex joints, (name, side): the 'r*' ones are the mirror of the 'l*' ones.
FACE_FEET_HANDS = ('nose', 'reye', 'leye', 'rear', 'lear', 'LBigToe', 'LSmallToe', 'LHeel',
                   'RBigToe', 'RSmallToe', 'RHeel', 'lthumb', 'lindex', 'lmiddle', 'lring',
                   'lpinky', 'rthumb', 'rindex', 'rmiddle', 'rring', 'rpinky')

# Largest displacement (metres) per unit beta of each shape direction: size, girth, leg length,
# arm length, shoulder width, belly, hip width, head size, torso length, leg thickness.
_SHAPE_SCALE = np.array([0.06, 0.025, 0.04, 0.04, 0.03, 0.04, 0.03, 0.015, 0.04, 0.012])


def _children():
    kids = [[] for _ in range(24)]
    for j, p in enumerate(SMPL_PARENTS[1:], start=1):
        kids[p].append(j)
    return kids


def _subtree(j, kids):
    out, stack = [], [j]
    while stack:
        k = stack.pop()
        out.append(k)
        stack.extend(kids[k])
    return out


def _symmetrize_rows(mat, sym, row_perm):
    """Average ``mat (R, V)`` with its mirror (rows permuted by ``row_perm``, columns by
    ``sym``)."""
    return 0.5 * (mat + mat[list(row_perm)][:, sym])


def _convex_weights(vertices, cand, target, reg=1e-3):
    """Non-negative weights summing to 1 over ``cand`` vertices that best reproduce ``target``."""
    from scipy.optimize import nnls
    pts = vertices[cand]  # (K, 3)
    lam = 10.0
    a = np.concatenate([pts.T, lam * np.ones((1, len(cand))), reg * np.eye(len(cand))], 0)
    b = np.concatenate([target, [lam], np.zeros(len(cand))])
    w, _ = nnls(a, b)
    return w / w.sum()


def _regressor(vertices, sym, targets, flip_perm, per_octant=4):
    """Sparse convex-combination regressor ``(len(targets), V)``, mirror-consistent.

    The candidates of each target are its nearest vertices in each of the 8 octants around it, so
    that the target lies inside their convex hull whenever it is inside the body.
    """
    reg = np.zeros((len(targets), len(vertices)))
    for r, target in enumerate(targets):
        d = vertices - target
        dist = np.linalg.norm(d, axis=1)
        octant = (d > 0) @ np.array([1, 2, 4])
        cand = np.concatenate([
            np.nonzero(octant == o)[0][np.argsort(dist[octant == o])[:per_octant]]
            for o in range(8)
        ])
        reg[r, cand] = _convex_weights(vertices, cand, target)
    return _symmetrize_rows(reg, sym, flip_perm)


def _shape_basis(v, info, joints):
    """10 smooth, mirror-symmetric shape directions ``(V, 3, 10)``."""
    x, y, _ = v.T
    radial = info['radial']  # offset of each vertex from its part's axis (V, 3)
    pelvis_y, neck_y, ankle_y = joints[0, 1], joints[12, 1], joints[7, 1]
    head_c = joints[15] + np.array([0., 0.09, 0.01])

    def gauss(d, s):
        return np.exp(-(d / s)**2)

    def unit(d):
        return d / np.abs(d).max()

    below = np.clip((pelvis_y - y) / (pelvis_y - ankle_y), 0, 1)
    above = np.clip((y - pelvis_y) / (neck_y - pelvis_y), 0, 1)
    legs = np.clip((pelvis_y - 0.05 - y) / 0.1, 0, 1)
    dirs = np.zeros(v.shape + (10, ))
    dirs[..., 0] = unit(v - np.array([0., ankle_y - 0.08, 0.]))  # overall size / height
    dirs[..., 1] = unit(radial)  # girth
    dirs[:, 1, 2] = -unit(below)  # leg length
    arm = np.clip((np.abs(x) - 0.18) / 0.5, 0, 1) * (y > pelvis_y + 0.2)
    dirs[:, 0, 3] = unit(np.sign(x) * arm)  # arm length
    dirs[:, 0, 4] = unit(x * gauss(y - (neck_y - 0.1), 0.25))  # shoulder width
    belly = joints[3] + np.array([0., 0.02, 0.12])
    dirs[:, 2, 5] = unit(gauss(np.linalg.norm(v - belly, axis=1), 0.15) * (radial[:, 2] > 0))
    dirs[:, 0, 6] = unit(x * gauss(y - pelvis_y, 0.15))  # hip width
    dirs[..., 7] = unit((v - head_c) * gauss(np.linalg.norm(v - head_c, axis=1), 0.2)[:, None])
    dirs[:, 1, 8] = unit(above)  # torso length
    dirs[..., 9] = unit(radial * legs[:, None])  # leg thickness
    return dirs * _SHAPE_SCALE


def _pose_correctives(v, info, joints, weights, amplitude=0.012):
    """Pose correctives ``(V, 3, 207)``: bulge near joint ``j`` scaled by ``3 - trace(R_j)``."""
    kids = _children()
    posedirs = np.zeros(v.shape + (23, 3, 3))
    for j in range(1, 24):
        sub = weights[:, _subtree(j, kids)].sum(1)
        rho = 1.5 * info['joint_radius'][j] + 0.02
        bump = np.clip(1 - np.linalg.norm(v - joints[j], axis=1) / rho, 0, None)**2 * sub
        disp = -amplitude * bump[:, None] * info['normal']  # coefficient of (R - I)[a, a]
        for a in range(3):
            posedirs[:, :, j - 1, a, a] = disp
    return posedirs.reshape(v.shape + (207, ))


def _skinning_weights(v, info, joints):
    """Smooth LBS weights ``(V, 24)``: the owning joint, blended with its parent near the joint and
    with its children near theirs."""
    kids = _children()
    weights = np.zeros((len(v), 24))
    owner = info['owner']
    for j in range(24):
        sel = np.nonzero(owner == j)[0]
        if sel.size == 0:
            continue
        rho = 1.5 * info['joint_radius'][j] + 0.02
        weights[sel, j] = 1.0
        if SMPL_PARENTS[j] >= 0:
            d = np.linalg.norm(v[sel] - joints[j], axis=1)
            weights[sel, SMPL_PARENTS[j]] += np.clip(1 - d / rho, 0, None)**2
        for c in kids[j]:
            d = np.linalg.norm(v[sel] - joints[c], axis=1)
            weights[sel, c] += np.clip(1 - d / rho, 0, None)**2
    return weights / weights.sum(1, keepdims=True)


def _regressor_targets(joints):
    j = joints
    up = np.array([0., 1., 0.])
    hip_r = j[2] + np.array([-0.015, -0.035, 0.])
    spine = 0.5 * (j[3] + j[6])
    thorax = j[12] - 0.05 * up
    nose = j[15] + np.array([0., 0.05, 0.07])
    # the order of SPIN's J_regressor_h36m (mmhuman3d's 'h36m' names): pelvis, left leg, right
    # leg, spine, thorax, neck/nose, head top, left arm, right arm
    h36m = [j[0] - 0.01 * up, hip_r * MIRROR, j[4], j[7], hip_r, j[5], j[8], spine, thorax, nose,
            j[15] + 0.17 * up, j[16], j[18], j[20], j[17], j[19], j[21]]
    extra = [hip_r, hip_r * MIRROR, j[12] + 0.02 * up, j[15] + 0.19 * up, j[0] - 0.03 * up,
             j[12] - 0.03 * up, spine, j[15] + np.array([0., -0.01, 0.07]),
             j[15] + np.array([0., 0.09, 0.02])]
    return np.stack(h36m), np.stack(extra)


def _vertex_joint_ids(v, sym, joints):
    """Vertex ids of smplx's extra joints (nose, eyes, ears, toes, heels, finger tips)."""
    j = joints
    head_c = j[15] + np.array([0., 0.09, 0.01])
    left = {
        'leye': head_c + [0.03, 0.02, 0.09], 'lear': head_c + [0.08, 0.0, 0.0],
        'LBigToe': j[10] + [-0.01, -0.02, 0.07], 'LSmallToe': j[10] + [0.04, -0.02, 0.05],
        'LHeel': j[7] + [0., -0.07, -0.05],
        'lthumb': j[22] + [0.0, -0.01, 0.05], 'lindex': j[22] + [0.09, 0., 0.03],
        'lmiddle': j[22] + [0.1, 0., 0.01], 'lring': j[22] + [0.1, 0., -0.01],
        'lpinky': j[22] + [0.09, 0., -0.03]
    }
    ids = {}
    for name, target in left.items():
        i = int(np.argmin(np.linalg.norm(v - np.asarray(target), axis=1)))
        ids[name] = i
        right = 'r' + name[1:] if name[0] == 'l' else 'R' + name[1:]
        ids[right] = int(sym[i])
    centre = np.nonzero(sym == np.arange(len(v)))[0]
    nose = head_c + np.array([0., -0.02, 0.12])
    ids['nose'] = int(centre[np.argmin(np.linalg.norm(v[centre] - nose, axis=1))])
    return {k: ids[k] for k in FACE_FEET_HANDS}


def build_surrogate_smpl(num_vertices=1500, seed=0):
    """Build the neutral surrogate SMPL model.

    Args:
        num_vertices (int): approximate vertex count ``V`` (the parts are rounded to whole rings).
        seed (int): seed of the small symmetric jitter of bone lengths and radii.

    Returns:
        dict: ``model`` (the official SMPL pickle keys: ``v_template (V, 3)``,
        ``shapedirs (V, 3, 10)``, ``posedirs (V, 3, 207)``, ``J_regressor`` scipy CSC ``(24, V)``,
        ``weights (V, 24)``, ``kintree_table (2, 24)``, ``f (F, 3)``, ``J (24, 3)``, plus
        ``vert_sym_idxs (V,)``, ``vertex_part (V,)`` owning joint, ``joint_vertex_ids`` dict),
        ``J_regressor_h36m (17, V)`` and ``J_regressor_extra (9, V)``.
    """
    import scipy.sparse
    rng = np.random.default_rng(seed)
    v, faces, sym, joints, info = build_parts(num_vertices, rng)
    perm = list(SMPL_FLIP_PERM)

    weights = _skinning_weights(v, info, joints)
    weights = 0.5 * (weights + weights[sym][:, perm])
    shapedirs = _shape_basis(v, info, joints)
    shapedirs = 0.5 * (shapedirs + shapedirs[sym] * MIRROR[None, :, None])
    posedirs = _pose_correctives(v, info, joints, weights).reshape(len(v), 3, 23, 3, 3)
    s_ab = MIRROR[:, None] * MIRROR[None, :]
    mirrored = posedirs[sym][:, :, [p - 1 for p in perm[1:]]] * MIRROR[None, :, None, None, None]
    posedirs = 0.5 * (posedirs + mirrored * s_ab).reshape(len(v), 3, 207)

    j_reg = _regressor(v, sym, joints, perm)
    h36m_targets, extra_targets = _regressor_targets(joints)
    h36m = _regressor(v, sym, h36m_targets, H36M_FLIP_PERM)
    extra = _regressor(v, sym, extra_targets, EXTRA_FLIP_PERM)

    parents = np.array(SMPL_PARENTS, dtype=np.int64)
    parents[0] = 4294967295  # the official files store the root's parent as uint32(-1)
    model = dict(
        v_template=v,
        shapedirs=shapedirs,
        posedirs=posedirs,
        J_regressor=scipy.sparse.csc_matrix(j_reg),
        J=j_reg @ v,
        weights=weights,
        kintree_table=np.stack([parents, np.arange(24, dtype=np.int64)]),
        f=faces.astype(np.uint32),
        bs_type='lrotmin',
        bs_style='lbs',
        vert_sym_idxs=sym,
        vertex_part=info['owner'],
        joint_vertex_ids=_vertex_joint_ids(v, sym, joints),
        surrogate=dict(seed=seed, num_vertices_requested=num_vertices, gender='neutral'),
    )
    return dict(model=model, J_regressor_h36m=h36m, J_regressor_extra=extra)


# Gendered variants: the neutral model moved along its own shape space (so they stay symmetric).
GENDER_BETAS = {
    'neutral': np.zeros(10),
    'male': np.array([0.8, 0.3, 0., 0., 1.0, -0.3, -0.5, 0., 0.3, 0.]),
    'female': np.array([-0.8, -0.3, 0., 0., -0.8, 0., 1.0, 0., -0.2, 0.]),
}


def gendered_model(model, gender):
    """A copy of the neutral ``model`` dict with the template moved by ``GENDER_BETAS[gender]``."""
    out = dict(model)
    out['v_template'] = model['v_template'] + model['shapedirs'] @ GENDER_BETAS[gender]
    out['J'] = model['J_regressor'] @ out['v_template']
    out['surrogate'] = dict(model['surrogate'], gender=gender)
    return out


def standing_mean_params():
    """``smpl_mean_params.npz`` content in the HMR/SPIN layout: ``pose (144,)`` (24 6-D rotations,
    global orientation pi about x as in the real file: camera frame, y down), ``shape (10,)``,
    ``cam (3,)``; the body pose is relaxed standing (arms lowered, elbows and knees slightly
    bent)."""
    from scipy.spatial.transform import Rotation
    pose = np.zeros((24, 3))
    pose[0] = [np.pi, 0., 0.]
    pose[16], pose[17] = [0., 0., -1.1], [0., 0., 1.1]  # shoulders: arms down
    pose[18], pose[19] = [0., -0.3, 0.], [0., 0.3, 0.]  # elbows
    pose[4] = pose[5] = [0.1, 0., 0.]  # knees
    pose[1] = pose[2] = [-0.05, 0., 0.]  # hips
    # 6-D rotation: the first two columns of each matrix, laid out row-major as (3, 2)
    rot6d = Rotation.from_rotvec(pose).as_matrix()[:, :, :2]
    return dict(pose=rot6d.reshape(144).astype(np.float32), shape=np.zeros(10, np.float32),
                cam=np.array([0.9, 0., 0.], np.float32))


def write_surrogate_body_model(out_dir, num_vertices=1500, seed=0):
    """Write a surrogate body-model folder in the mmhuman3d layout.

    ``out_dir/smpl/SMPL_{NEUTRAL,MALE,FEMALE}.pkl`` (official SMPL pickle keys, plain numpy and a
    scipy CSC ``J_regressor``), ``out_dir/J_regressor_h36m.npy (17, V)``,
    ``out_dir/J_regressor_extra.npy (9, V)``, ``out_dir/smpl_mean_params.npz``.

    Args:
        out_dir (str): folder to create or fill.
        num_vertices (int): approximate vertex count.
        seed (int): generator seed; the same seed always gives the same files' contents.

    Returns:
        dict[str, str]: the written paths by kind (``neutral``, ``male``, ``female``, ``h36m``,
        ``extra``, ``mean_params``).
    """
    import os
    import os.path as osp
    import pickle
    built = build_surrogate_smpl(num_vertices=num_vertices, seed=seed)
    os.makedirs(osp.join(out_dir, 'smpl'), exist_ok=True)
    paths = {}
    for gender in ('neutral', 'male', 'female'):
        paths[gender] = osp.join(out_dir, 'smpl', f'SMPL_{gender.upper()}.pkl')
        with open(paths[gender], 'wb') as f:
            pickle.dump(gendered_model(built['model'], gender), f, protocol=4)
    paths['h36m'] = osp.join(out_dir, 'J_regressor_h36m.npy')
    np.save(paths['h36m'], built['J_regressor_h36m'])
    paths['extra'] = osp.join(out_dir, 'J_regressor_extra.npy')
    np.save(paths['extra'], built['J_regressor_extra'])
    paths['mean_params'] = osp.join(out_dir, 'smpl_mean_params.npz')
    np.savez(paths['mean_params'], **standing_mean_params())
    return paths
