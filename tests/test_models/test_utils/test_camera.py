import numpy as np
import pytest
import torch

from mmhpse.models.utils import (crop_norm_size, normalized_to_pixels, perspective_projection,
                                 pixels_to_normalized, weak_perspective_to_translation)


def _numpy_pinhole(points, transl, focal, center):
    """Per-point reference: K [X + t] / z."""
    out = np.zeros(points.shape[:2] + (2, ))
    for b in range(points.shape[0]):
        for n in range(points.shape[1]):
            x, y, z = points[b, n] + transl[b]
            out[b, n, 0] = focal[b][0] * x / z + center[b][0]
            out[b, n, 1] = focal[b][1] * y / z + center[b][1]
    return out


def test_perspective_projection_matches_numpy_reference():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(3, 7, 3)) * 0.5
    transl = np.stack([rng.normal(size=3) * 0.1 + [0, 0, 10] for _ in range(3)])
    focal = rng.uniform(500, 5000, size=(3, 2))
    center = rng.uniform(50, 150, size=(3, 2))
    ref = _numpy_pinhole(points, transl, focal, center)
    out = perspective_projection(
        torch.from_numpy(points), torch.from_numpy(transl), torch.from_numpy(focal),
        torch.from_numpy(center))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-9)
    # scalar focal and a (2,) centre broadcast over the batch
    ref2 = _numpy_pinhole(points, transl, np.full((3, 2), 5000.), np.tile([96., 128.], (3, 1)))
    out2 = perspective_projection(
        torch.from_numpy(points), torch.from_numpy(transl), 5000., (96., 128.))
    np.testing.assert_allclose(out2.numpy(), ref2, rtol=1e-10, atol=1e-9)


def test_perspective_projection_rotation():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(2, 5, 3))
    theta = 0.3
    rot = np.array([[np.cos(theta), 0, np.sin(theta)], [0, 1, 0],
                    [-np.sin(theta), 0, np.cos(theta)]])
    transl = np.array([[0.1, 0.2, 8.], [0., -0.1, 9.]])
    ref = _numpy_pinhole(points @ rot.T, transl, np.full((2, 2), 1000.), np.full((2, 2), 112.))
    out = perspective_projection(
        torch.from_numpy(points), torch.from_numpy(transl), 1000., (112., 112.),
        rotation=torch.from_numpy(np.stack([rot, rot])))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-9)


def test_square_crop_is_spin_rule():
    cam = torch.tensor([[0.9, 0.05, -0.1], [1.2, 0.0, 0.2]], dtype=torch.float64)
    t = weak_perspective_to_translation(cam, focal_length=5000., img_size=224)
    expected_tz = 2 * 5000. / (224 * cam[:, 0] + 1e-9)
    torch.testing.assert_close(t[:, 2], expected_tz)
    torch.testing.assert_close(t[:, :2], cam[:, 1:])


@pytest.mark.parametrize('img_size', [(256, 192), (224, 224), (64, 48)])
def test_weak_and_perspective_agree_on_the_body_plane(img_size):
    """For points with Z = 0 the perspective camera reproduces the weak-perspective pixels."""
    h, w = img_size
    length = max(h, w)
    rng = np.random.default_rng(2)
    cam = torch.from_numpy(np.stack([rng.uniform(0.6, 1.4, 4), rng.normal(size=4) * 0.1,
                                     rng.normal(size=4) * 0.1], -1))
    pts = torch.from_numpy(rng.normal(size=(4, 6, 3)) * 0.4)
    pts[..., 2] = 0
    t = weak_perspective_to_translation(cam, focal_length=5000., img_size=img_size, eps=0)
    pix = perspective_projection(pts, t, 5000., (w / 2, h / 2))
    # weak perspective in normalised coordinates, then to pixels by the documented rule
    xn = cam[:, None, 0:1] * (pts[..., :2] + cam[:, None, 1:])
    expected = torch.stack([xn[..., 0] * length / 2 + w / 2, xn[..., 1] * length / 2 + h / 2], -1)
    torch.testing.assert_close(pix, expected)
    # and pixels_to_normalized recovers the weak-perspective coordinates
    torch.testing.assert_close(pixels_to_normalized(pix, img_size), xn)


def test_normalisation_round_trip_and_range():
    kp = torch.tensor([[[0., 0., 1.], [192., 256., 0.5], [96., 128., 0.]]])
    n = pixels_to_normalized(kp, (256, 192))
    torch.testing.assert_close(n[0, :, :2], torch.tensor([[-0.75, -1.], [0.75, 1.], [0., 0.]]))
    torch.testing.assert_close(n[..., 2], kp[..., 2])  # confidence kept
    torch.testing.assert_close(normalized_to_pixels(n, (256, 192)), kp)
    assert crop_norm_size((256, 192)) == 256
    assert crop_norm_size(224) == 224
    assert crop_norm_size((256, 192), norm_size=192) == 192
    with pytest.raises(ValueError, match='norm_size must be positive'):
        crop_norm_size(224, norm_size=0)
    with pytest.raises(ValueError, match=r'cam must have shape \(B, 3\)'):
        weak_perspective_to_translation(torch.zeros(2, 4))
    with pytest.raises(ValueError, match='transl must have shape'):
        perspective_projection(torch.zeros(2, 3, 3), torch.zeros(3, 3), 1., (0., 0.))


def test_camera_modules():
    from mmhpse.models.utils import SigmoidDepthCamera, WeakPerspectiveCamera
    cam = SigmoidDepthCamera(focal_length=1000., body_extent=2.)
    assert cam.depth_scale((100, 400)) == pytest.approx(1000 * 2 / 200)
    t = cam.translation(torch.tensor([[0.5, -0.5, 0.]]), (100, 400))
    torch.testing.assert_close(t, torch.tensor([[0.5, -0.5, 5.]]))
    with pytest.raises(ValueError, match=r'pred_cam must have shape \(B, 3\)'):
        cam.translation(torch.zeros(2, 2), 64)
    weak = WeakPerspectiveCamera(focal_length=500.)
    torch.testing.assert_close(weak.translation(torch.tensor([[2., 0.1, 0.2]]), (64, 48)),
                               torch.tensor([[0.1, 0.2, 2 * 500 / (64 * 2.)]]))
    # both project with the principal point at the crop centre (W/2, H/2)
    uv = weak.project(torch.zeros(1, 1, 3), torch.tensor([[0., 0., 5.]]), (64, 48))
    torch.testing.assert_close(uv, torch.tensor([[[24., 32.]]]))
