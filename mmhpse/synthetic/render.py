"""Off-screen rendering of a body mesh with per-vertex colours (pyrender), and the pinhole
projection the procedural generator and the demo share.

Camera frame: OpenCV (x right, y down, z forward), pixel centres at integer coordinates.
pyrender is imported lazily (``PYOPENGL_PLATFORM=osmesa`` unless set otherwise), so importing this
module does not need OpenGL.
"""
import os

import numpy as np

#: Whether this process has loaded pyrender (and may hold an off-screen OpenGL context, which a
#: forked child would inherit and hang on).
CONTEXTS_CREATED = False


def load_pyrender():
    """Import pyrender for off-screen rendering (OSMesa unless ``PYOPENGL_PLATFORM`` is set)."""
    global CONTEXTS_CREATED
    CONTEXTS_CREATED = True
    os.environ.setdefault('PYOPENGL_PLATFORM', 'osmesa')
    import pyrender
    return pyrender


class BodyRenderer:
    """Off-screen renderer of one mesh topology with per-vertex colours (pyrender).

    Args:
        faces (ndarray): ``(F, 3)``.
        height (int), width (int): image size.
    """

    def __init__(self, faces, height, width):
        pyrender = load_pyrender()
        self.pyrender = pyrender
        self.faces = np.asarray(faces, dtype=np.int64)
        self.height, self.width = height, width
        self.renderer = pyrender.OffscreenRenderer(viewport_width=width, viewport_height=height)
        self.scene = pyrender.Scene(bg_color=[0., 0., 0., 0.], ambient_light=[0.4] * 3)
        self.camera = pyrender.IntrinsicsCamera(fx=1., fy=1., cx=0., cy=0., znear=0.05,
                                                zfar=100.)
        self.scene.add(self.camera, pose=np.eye(4))
        light_pose = np.eye(4)
        light_pose[:3, :3] = _look_rotation(np.array([0.3, -0.5, -1.0]))
        self.scene.add(pyrender.DirectionalLight(color=np.ones(3), intensity=1.8), pose=light_pose)

    def render(self, vertices, colors, focal, princpt):
        """Render ``vertices (V, 3)`` (OpenCV camera frame) with ``colors (V, 3)`` in [0, 1].

        Args:
            focal (array): ``(fx, fy)``; princpt (array): ``(cx, cy)`` in pixels.

        Returns:
            tuple: ``rgb (H, W, 3)`` uint8 (black background) and ``mask (H, W)`` bool.
        """
        pyrender = self.pyrender
        # OpenGL camera looks along -z with y up: rotate the OpenCV frame by pi about x.
        gl_vertices = vertices * np.array([1., -1., -1.])
        prim = pyrender.Primitive(positions=gl_vertices.astype(np.float32),
                                  indices=self.faces, color_0=colors.astype(np.float32), mode=4,
                                  material=pyrender.MetallicRoughnessMaterial(
                                      baseColorFactor=[1., 1., 1., 1.], metallicFactor=0.,
                                      roughnessFactor=0.8))
        node = self.scene.add(pyrender.Mesh([prim]))
        # pyrender's pixel centres sit at half-integers: shift to OpenCV's integer centres.
        self.camera.fx, self.camera.fy = float(focal[0]), float(focal[1])
        self.camera.cx, self.camera.cy = float(princpt[0]) + 0.5, float(princpt[1]) + 0.5
        try:
            color, depth = self.renderer.render(self.scene)
        finally:
            self.scene.remove_node(node)
        return np.ascontiguousarray(color[..., :3]), depth > 0

    def close(self):
        self.renderer.delete()


def _look_rotation(direction):
    """Rotation whose -z axis points along ``direction`` (pyrender lights shine along -z)."""
    z = -direction / np.linalg.norm(direction)
    x = np.cross([0., 1., 0.], z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z], axis=1)


def project(points, focal, princpt):
    """Pinhole projection ``(..., K, 3) -> (..., K, 2)`` with per-sample ``focal``/``princpt``
    ``(..., 2)``."""
    return points[..., :2] / points[..., 2:3] * focal[..., None, :] + princpt[..., None, :]
