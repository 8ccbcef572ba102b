"""Body-pose priors of the procedural humans: independent uniform angles, or a low-dimensional
space of correlated motion primitives.

Angles are axis-angle components (radians) in SMPL's joint frames (rest pose: T-pose, y up, facing
+z, the person's left at +x). A right joint's values are written as the *mirror* of the physical
motion of its left twin: the same motion of the right side is ``(x, -y, -z)`` of the left's.

Signs used below (left side): hip ``x < 0`` swings the leg forward, knee ``x > 0`` bends it;
shoulder ``z < 0`` lowers the arm from the T-pose, ``y < 0`` swings it forward; elbow ``y < 0``
bends it; spine / neck ``x > 0`` lean forward, ``y`` twists, ``z`` bends sideways.
"""
import numpy as np

from mmhpse.utils.geometry import SMPL_FLIP_PERM

# Axis-angle component ranges (radians) for the centre and left joints. Right joints use the
# mirrored ranges (x, -y, -z).
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
_MIRROR = np.array([1., -1., -1.])

# Motion primitives: {joint: (x, y, z)} with joints named by their SMPL index; 'L<j>' / 'R<j>'
# entries give the physical motion of the left joint j or of its right twin (mirrored on use).
_REST = {'L16': (0., 0., -1.0), 'R16': (0., 0., -1.0), 'L18': (0., -0.35, 0.),
         'R18': (0., -0.35, 0.), 'L1': (-0.1, 0., 0.05), 'R1': (-0.1, 0., 0.05),
         'L4': (0.2, 0., 0.), 'R4': (0.2, 0., 0.)}
_PRIMITIVES = (
    # walking stride: left leg forward, right leg back with a bent knee, arms swing opposite
    {'L1': (-0.55, 0., 0.), 'R1': (0.3, 0., 0.), 'L4': (0.15, 0., 0.), 'R4': (0.45, 0., 0.),
     'L16': (0., 0.45, 0.), 'R16': (0., -0.45, 0.), 'L18': (0., -0.2, 0.),
     'R18': (0., -0.2, 0.)},
    # left arm up (sideways) / down, the collar bone following
    {'L16': (0., 0., 0.75), 'L13': (0., 0., 0.15)},
    # right arm up / down
    {'R16': (0., 0., 0.75), 'R13': (0., 0., 0.15)},
    # both elbows bend (hands towards the chest)
    {'L18': (0., -0.8, 0.), 'R18': (0., -0.8, 0.), 'L16': (0., -0.3, 0.),
     'R16': (0., -0.3, 0.)},
    # crouch: hips and knees flex, the torso leans forward
    {'L1': (-0.6, 0., 0.1), 'R1': (-0.6, 0., 0.1), 'L4': (1.0, 0., 0.), 'R4': (1.0, 0., 0.),
     'L7': (-0.25, 0., 0.), 'R7': (-0.25, 0., 0.), 3: (0.2, 0., 0.), 6: (0.1, 0., 0.),
     9: (0.05, 0., 0.)},
    # sideways lean, counter-balanced by the arms
    {3: (0., 0., 0.12), 6: (0., 0., 0.1), 9: (0., 0., 0.1), 12: (0., 0., 0.1),
     'L16': (0., 0., 0.25), 'R16': (0., 0., -0.25)},
    # left leg lifts (kick / step up)
    {'L1': (-0.8, 0., 0.15), 'L4': (0.9, 0., 0.), 'L7': (0.2, 0., 0.)},
    # right leg lifts
    {'R1': (-0.8, 0., 0.15), 'R4': (0.9, 0., 0.), 'R7': (0.2, 0., 0.)},
)
NUM_PRIMITIVES = len(_PRIMITIVES)


def pose_limits():
    """Lower and upper bounds ``(24, 3)`` of every joint (root rows are zero)."""
    lo, hi = np.zeros((24, 3)), np.zeros((24, 3))
    for j, limits in POSE_LIMITS.items():
        lo[j], hi[j] = np.array(limits).T
        r = SMPL_FLIP_PERM[j]
        if r != j:  # mirrored ranges: x kept, y and z negated
            lo[r] = [lo[j][0], -hi[j][1], -hi[j][2]]
            hi[r] = [hi[j][0], -lo[j][1], -lo[j][2]]
    return lo, hi


def _as_pose(entries):
    """A primitive's ``(24, 3)`` axis-angle offsets from its ``{joint: (x, y, z)}`` entries."""
    pose = np.zeros((24, 3))
    for key, value in entries.items():
        if isinstance(key, int):
            pose[key] = value
        elif key[0] == 'L':
            pose[int(key[1:])] = value
        else:  # the physical motion of the right twin of joint int(key[1:])
            pose[SMPL_FLIP_PERM[int(key[1:])]] = np.asarray(value) * _MIRROR
    return pose


def primitive_basis():
    """The rest pose ``(24, 3)`` and the primitives ``(P, 24, 3)`` of the correlated prior."""
    return _as_pose(_REST), np.stack([_as_pose(p) for p in _PRIMITIVES])


def sample_uniform_pose(rng, num):
    """Body poses ``(num, 23, 3)`` with every angle independent and uniform in the limits."""
    lo, hi = pose_limits()
    return rng.uniform(lo, hi, size=(num, 24, 3))[:, 1:]


def sample_primitive_pose(rng, num, noise=0.02):
    """Body poses ``(num, 23, 3)`` from the motion-primitive prior.

    ``pose = rest + sum_k a_k * primitive_k + e``, ``a_k ~ N(0, 1)`` clipped to ``[-2, 2]``,
    ``e ~ N(0, noise)`` per angle, clipped to the joint limits. The poses lie close to a
    ``NUM_PRIMITIVES``-dimensional affine space, so joints move together as in real motion.
    """
    rest, basis = primitive_basis()
    coeffs = np.clip(rng.normal(size=(num, len(basis))), -2., 2.)
    pose = rest + np.einsum('np,pjc->njc', coeffs, basis)
    pose = pose + rng.normal(0., noise, size=pose.shape)
    lo, hi = pose_limits()
    return np.clip(pose, lo, hi)[:, 1:]


POSE_PRIORS = {'uniform': sample_uniform_pose, 'primitives': sample_primitive_pose}


def sample_body_pose(rng, num, prior='uniform'):
    """Plausible body poses ``(num, 23, 3)`` axis-angle from ``prior`` (a key of
    ``POSE_PRIORS``): ``'uniform'`` (independent angles) or ``'primitives'`` (correlated)."""
    if prior not in POSE_PRIORS:
        raise KeyError(f'unknown pose prior {prior!r}; known: {sorted(POSE_PRIORS)}')
    return POSE_PRIORS[prior](rng, num)
