"""Geometry of the surrogate body: rest skeleton and tapered-ellipsoid parts, mirror-symmetric.

Coordinates are metres, y up, the body faces +z and its left side is at +x, like SMPL's template.
"""
import numpy as np

from ...utils.geometry import SMPL_FLIP_PERM, SMPL_PARENTS

# Approximate rest joints of a neutral adult (centre and left joints; right = mirror of left).
REST_JOINTS = {
    0: (0.0, -0.223, 0.028), 1: (0.069, -0.314, 0.023), 3: (0.0, -0.109, 0.001),
    4: (0.105, -0.697, 0.021), 6: (0.0, 0.024, 0.029), 7: (0.089, -1.089, -0.022),
    9: (0.0, 0.084, 0.034), 10: (0.121, -1.142, 0.097), 12: (0.0, 0.286, -0.013),
    13: (0.078, 0.188, -0.005), 15: (0.0, 0.357, 0.048), 16: (0.168, 0.233, -0.020),
    18: (0.423, 0.216, -0.040), 20: (0.686, 0.222, -0.043), 22: (0.770, 0.214, -0.057),
}
_UP = np.array([0., 1., 0.])
_MIRROR = np.array([-1., 1., 1.])


def rest_joints(rng=None, jitter=0.04):
    """Rest joints ``(24, 3)``; with ``rng`` every bone length is scaled by ``1 +- jitter``
    (the same factor on both sides)."""
    base = np.zeros((24, 3))
    for j, xyz in REST_JOINTS.items():
        base[j] = xyz
        base[SMPL_FLIP_PERM[j]] = np.asarray(xyz) * _MIRROR
    if rng is None:
        return base
    scale = 1 + rng.uniform(-jitter, jitter, size=24)
    scale = scale[[min(j, SMPL_FLIP_PERM[j]) for j in range(24)]]  # left factor on both sides
    out = base.copy()
    for j in range(1, 24):  # parents come before children in SMPL's order
        p = SMPL_PARENTS[j]
        out[j] = out[p] + scale[j] * (base[j] - base[p])
    return out


def _part_specs(j):
    """(owner joint, start, end, radius along e1, radius along e2, extension) per part."""
    hand_dir = (j[22] - j[20]) / np.linalg.norm(j[22] - j[20])
    centre = [
        (0, j[0] + 0.10 * _UP, j[0] - 0.14 * _UP, 0.165, 0.11, 0.0),
        (3, j[3], j[6], 0.145, 0.10, 0.04),
        (6, j[6], j[9], 0.15, 0.105, 0.03),
        (9, j[9], j[12] - 0.01 * _UP, 0.17, 0.11, 0.04),
        (12, j[12], j[15], 0.05, 0.055, 0.02),
        (15, j[15] + [0., -0.02, 0.01], j[15] + [0., 0.21, 0.01], 0.08, 0.095, 0.0),
    ]
    left = [
        (13, j[13], j[16], 0.06, 0.05, 0.02),
        (16, j[16], j[18], 0.055, 0.05, 0.03),
        (18, j[18], j[20], 0.045, 0.04, 0.02),
        (20, j[20], j[22], 0.045, 0.02, 0.02),
        (22, j[22], j[22] + 0.1 * hand_dir, 0.04, 0.013, 0.0),
        (1, j[1], j[4], 0.085, 0.085, 0.04),
        (4, j[4], j[7], 0.06, 0.055, 0.02),
        (7, j[7] + [0., -0.04, -0.06], j[10] - 0.02 * _UP, 0.04, 0.045, 0.02),
        (10, j[10] - 0.02 * _UP, j[10] + [0., -0.03, 0.07], 0.02, 0.045, 0.0),
    ]
    return centre, left


def _frame(u, centre_part):
    """Orthonormal ``e1, e2`` across the axis ``u``; centre parts use ``e1 = x`` (mirror plane
    normal) so that their rings are mirror-symmetric."""
    if centre_part:
        ref = np.array([1., 0., 0.])
    else:
        ref = np.array([0., 0., 1.]) if abs(u[2]) < 0.7 else _UP
    e1 = ref - (ref @ u) * u
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(u, e1)


def _ellipsoid(start, end, r1, r2, ext, rings, segs, centre_part):
    """One tapered ellipsoid: vertices, faces, ring-mirror map, radial offsets and normals."""
    axis = end - start
    half = np.linalg.norm(axis) / 2 + ext
    u = axis / np.linalg.norm(axis)
    c = (start + end) / 2
    e1, e2 = _frame(u, centre_part)
    theta = np.pi * np.arange(1, rings + 1) / (rings + 1)
    phi = 2 * np.pi * np.arange(segs) / segs
    th, ph = np.meshgrid(theta, phi, indexing='ij')  # (rings, segs)
    s = np.sin(th)**0.6  # flatter sides than an ellipsoid: capsule-like
    radial = s[..., None] * (r1 * np.sin(ph)[..., None] * e1 + r2 * np.cos(ph)[..., None] * e2)
    ring_pts = c + half * np.cos(th)[..., None] * u + radial
    normal = (np.cos(th)[..., None] / half * u + s[..., None] *
              (np.sin(ph)[..., None] / r1 * e1 + np.cos(ph)[..., None] / r2 * e2))
    verts = np.concatenate([[c + half * u], ring_pts.reshape(-1, 3), [c - half * u]])
    radial = np.concatenate([[np.zeros(3)], radial.reshape(-1, 3), [np.zeros(3)]])
    normal = np.concatenate([[u], normal.reshape(-1, 3), [-u]])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)

    def idx(i, k):
        return 1 + i * segs + k % segs

    bottom = 1 + rings * segs
    faces = []
    for k in range(segs):
        faces.append((0, idx(0, k), idx(0, k + 1)))
        faces.append((bottom, idx(rings - 1, k + 1), idx(rings - 1, k)))
        for i in range(rings - 1):
            a, b, cc, d = idx(i, k), idx(i, k + 1), idx(i + 1, k + 1), idx(i + 1, k)
            # the diagonal mirrors with the column so that the face set is mirror-symmetric
            faces += [(a, cc, b), (a, d, cc)] if k < segs // 2 else [(a, d, b), (b, d, cc)]
    faces = np.asarray(faces)
    ring_sym = np.arange(len(verts))
    ks = (segs - np.arange(segs)) % segs
    ring_sym[1:bottom] = (1 + np.arange(rings)[:, None] * segs + ks[None]).reshape(-1)
    # outward orientation: positive signed volume
    tri = verts[faces] - c
    if np.einsum('ij,ij->i', tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() < 0:
        faces = faces[:, [0, 2, 1]]
    return verts, faces, ring_sym, radial, normal


def build_parts(num_vertices, rng):
    """Build the whole mesh.

    Args:
        num_vertices (int): approximate vertex budget.
        rng (np.random.Generator): draws the symmetric jitter of bone lengths and radii.

    Returns:
        tuple: ``vertices (V, 3)``, ``faces (F, 3)``, ``sym (V,)`` mirror partner of each vertex,
        ``joints (24, 3)`` rest joints, ``info`` dict with ``owner (V,)`` joint owning each vertex,
        ``radial (V, 3)`` offset from the part axis, ``normal (V, 3)``, ``joint_radius (24,)``.
    """
    joints = rest_joints(rng)
    centre, left = _part_specs(joints)
    radius_scale = 1 + rng.uniform(-0.08, 0.08, size=len(centre) + len(left))
    specs = [(p, True) for p in centre] + [(p, False) for p in left]
    sizes = np.array([(np.linalg.norm(p[2] - p[1]) / 2 + p[5]) * (p[3] + p[4]) for p, _ in specs])
    total = sizes[:len(centre)].sum() + 2 * sizes[len(centre):].sum()

    pieces = []  # (owner, verts, faces, kind or ring mirror map, radial, normal)
    joint_radius = np.zeros(24)
    for (spec, is_centre), size, rs in zip(specs, sizes, radius_scale):
        owner, start, end, r1, r2, ext = spec
        r1, r2 = r1 * rs, r2 * rs
        n = max(num_vertices * size / total, 20)
        half = np.linalg.norm(end - start) / 2 + ext
        segs = max(6, 2 * int(round(np.sqrt(n * (r1 + r2) / half) / 2)))
        rings = max(3, int(round((n - 2) / segs)))
        v, f, s, rad, nrm = _ellipsoid(start, end, r1, r2, ext, rings, segs, is_centre)
        joint_radius[owner] = joint_radius[SMPL_FLIP_PERM[owner]] = max(r1, r2)
        pieces.append((owner, v, f, s if is_centre else 'left', rad, nrm))
    # right parts: mirror images of the left ones, in the same order
    for owner, v, f, _, rad, nrm in [p for p in pieces if isinstance(p[3], str)]:
        pieces.append((SMPL_FLIP_PERM[owner], v * _MIRROR, f[:, [0, 2, 1]], 'right', rad * _MIRROR,
                       nrm * _MIRROR))

    offsets = np.cumsum([0] + [len(p[1]) for p in pieces])
    lefts = [i for i, p in enumerate(pieces) if isinstance(p[3], str) and p[3] == 'left']
    rights = [i for i, p in enumerate(pieces) if isinstance(p[3], str) and p[3] == 'right']
    partner = dict(zip(lefts, rights))
    partner.update(zip(rights, lefts))
    sym = []
    for i, p in enumerate(pieces):
        if isinstance(p[3], str):
            sym.append(offsets[partner[i]] + np.arange(len(p[1])))
        else:
            sym.append(offsets[i] + p[3])
    info = dict(owner=np.concatenate([np.full(len(p[1]), p[0]) for p in pieces]),
                radial=np.concatenate([p[4] for p in pieces]),
                normal=np.concatenate([p[5] for p in pieces]), joint_radius=joint_radius)
    verts = np.concatenate([p[1] for p in pieces])
    faces = np.concatenate([p[2] + o for p, o in zip(pieces, offsets)])
    return verts, faces, np.concatenate(sym), joints, info
