"""The body-body contact geometry (physics/collision.py) against brute-force distances in numpy.

Each function is evaluated once on many random candidates (one compile per function).
"""

import numpy as np
import pytest

from symphys import backend as B
from symphys.physics import collision

ATOL_DISTANCE = 1e-9  # m: closed forms in float64
ATOL_BRUTE = 2e-6  # m: brute-force minima over 20,001 samples of a segment up to 1 m long
ATOL_SEEK = 5e-4  # m: capsule axis against a box, sampled and bisected; worst of 400 measured 0.19 mm
N = 400


def evaluate(fn, *arrays):
    """fn's outputs for numpy inputs, compiled once with JAX."""
    inputs = [B.pt.tensor(f"x{i}", shape=(None,) * a.ndim, dtype="float64") for i, a in enumerate(arrays)]
    outputs = fn(*inputs)
    compiled = B.function(inputs, list(outputs), mode=B.make_mode("jax"))
    with B.float_context("float64"):
        return [np.asarray(o) for o in compiled(*arrays)]


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def brute_segment_distance(ca, ua, ha, cb, ub, hb, samples=20001):
    """min over s of the distance from a's point s to segment b (b's best t in closed form)."""
    s = np.linspace(-ha, ha, samples)
    points = ca + s[:, None] * ua
    t = np.clip((points - cb) @ ub, -hb, hb)
    return np.linalg.norm(points - (cb + t[:, None] * ub), axis=1).min()


def box_distance(local, half):
    """Signed distance of box-frame points to a box: outside the Euclidean one, inside -depth."""
    outside = np.linalg.norm(np.maximum(np.abs(local) - half, 0.0), axis=-1)
    inside = np.min(half - np.abs(local), axis=-1)
    return np.where(outside > 0, outside, -inside)


@pytest.fixture(scope="module")
def segments():
    """Random segment pairs: a quarter parallel, a quarter with one point (a sphere), some crossing."""
    rng = np.random.default_rng(11)
    ca, cb = rng.normal(size=(N, 3)) * 0.3, rng.normal(size=(N, 3)) * 0.3
    ua, ub = unit(rng.normal(size=(N, 3))), unit(rng.normal(size=(N, 3)))
    ub[: N // 4] = ua[: N // 4] * np.where(rng.random((N // 4, 1)) < 0.5, -1, 1)  # parallel
    ha, hb = rng.uniform(0.0, 0.5, N), rng.uniform(0.0, 0.5, N)
    ha[N // 4: N // 2] = 0.0  # a sphere against a capsule
    hb[N // 4: 3 * N // 8] = 0.0  # ... and against a sphere
    cb[-20:] = ca[-20:]  # crossing segments: zero distance
    return ca, ua, ha, cb, ub, hb


def test_segment_segment_finds_the_closest_points(segments):
    """Parallel, degenerate (point) and crossing segments: the distance of the returned points equals
    the brute-force minimum, and each point lies on its segment."""
    ca, ua, ha, cb, ub, hb = segments
    pa, pb = evaluate(collision.segment_segment, *segments)
    for name, p, c, u, h in (("a", pa, ca, ua, ha), ("b", pb, cb, ub, hb)):
        along = np.sum((p - c) * u, axis=1)
        assert np.all(np.abs(along) <= h + 1e-12), name
        np.testing.assert_allclose(p, c + along[:, None] * u, atol=1e-12)
    found = np.linalg.norm(pa - pb, axis=1)
    brute = np.array([brute_segment_distance(*(x[i] for x in segments)) for i in range(N)])
    np.testing.assert_allclose(found, brute, atol=ATOL_BRUTE)
    assert np.all(found <= brute + 1e-12), "a closer pair than the brute force's samples must be exact"


def test_parallel_segments_touch_at_the_middle_of_their_overlap():
    """Two parallel capsule axes, one shifted along the other: the contact is the overlap's midpoint."""
    ca, cb = np.array([[0.0, 0, 0]]), np.array([[0.3, 0, 0.1]])
    ux = np.array([[1.0, 0, 0]])
    pa, pb = evaluate(collision.segment_segment, ca, ux, np.array([0.25]), cb, -ux, np.array([0.25]))
    np.testing.assert_allclose(pa, [[0.15, 0, 0]], atol=ATOL_DISTANCE)  # overlap x in [0.05, 0.25]
    np.testing.assert_allclose(pb, [[0.15, 0, 0.1]], atol=ATOL_DISTANCE)


def test_round_round_distance_normal_and_point(segments):
    """Spheres and capsules: distance = axis distance - radii, unit normal from b to a, contact point
    midway between the two surfaces."""
    ca, ua, ha, cb, ub, hb = segments
    ra, rb = np.full(N, 0.05), np.full(N, 0.1)
    distance, normal, point = evaluate(collision.round_round, ca, ua, ha, ra, cb, ub, hb, rb)
    pa, pb = evaluate(collision.segment_segment, *segments)
    gap = np.linalg.norm(pa - pb, axis=1)
    np.testing.assert_allclose(distance, gap - ra - rb, atol=ATOL_DISTANCE)
    np.testing.assert_allclose(np.linalg.norm(normal, axis=1), 1.0, atol=1e-12)
    apart = gap > 1e-6
    np.testing.assert_allclose(normal[apart], unit((pa - pb)[apart]), atol=1e-9)
    midway = 0.5 * ((pa - ra[:, None] * normal) + (pb + rb[:, None] * normal))
    np.testing.assert_allclose(point, midway, atol=ATOL_DISTANCE)


def rotate(v, axis, angle):
    """v turned by ``angle`` (rad) about unit ``axis`` (Rodrigues), row-wise."""
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    return v * cos + np.cross(axis, v) * sin + axis * np.sum(axis * v, axis=1, keepdims=True) * (1 - cos)


@pytest.fixture(scope="module")
def capsule_pairs():
    """Capsule axes side by side: b's axis is a's turned by 0 (a quarter), 1e-7 to 1e-2 rad (half) or
    0.3 to pi/2 rad (a quarter, crossing; some exactly perpendicular), reversed at random, moved 0.1 to
    0.2 m sideways and up to 0.4 m along; half lengths 0.05 to 0.5 m.  A generator of its own, so that
    the other fixtures' random cases stay those of their measurements."""
    rng = np.random.default_rng(19)
    ca = rng.normal(size=(N, 3)) * 0.3
    ua = unit(rng.normal(size=(N, 3)))
    angle = np.concatenate([np.zeros(N // 4), 10 ** rng.uniform(-7, -2, N // 2),
                            rng.uniform(0.3, np.pi / 2, N - 3 * N // 4)])
    angle[-10:] = np.pi / 2
    turn = unit(np.cross(ua, rng.normal(size=(N, 3))))
    ub = rotate(ua, turn, angle) * np.where(rng.random((N, 1)) < 0.5, -1, 1)
    side = unit(np.cross(ua, rng.normal(size=(N, 3))))
    cb = ca + side * rng.uniform(0.1, 0.2, (N, 1)) + ua * rng.uniform(-0.4, 0.4, (N, 1))
    ha, hb = rng.uniform(0.05, 0.5, N), rng.uniform(0.05, 0.5, N)
    return ca, ua, ha, cb, ub, hb, angle


def test_capsules_side_by_side_touch_at_both_ends_of_their_overlap(capsule_pairs):
    """A capsule pair's two points (segment_segment_second): the first is the closest pair (the
    brute-force minimum); the second is a pair of points of the two segments, its a-point as far along a
    as the brute force puts it.  Near-parallel pairs (up to 1e-2 rad) whose overlap is longer than the
    switch-off spread have their a-points at both ends of the overlap of b's 20,001 sampled points
    projected on a's axis (parallel ones all, skew ones mostly; the rest mirror images about its
    middle), so the rows hold the whole line along which they touch; crossing pairs
    (perpendicular ones exactly) keep one point: the second is off or lies on the first."""
    ca, ua, ha, cb, ub, hb, angle = capsule_pairs
    geometry = (ca, ua, ha, cb, ub, hb)
    radius = np.full(N, 0.05)
    p0a, p0b, _ = evaluate(collision.segment_segment_second, *geometry, np.zeros(N))
    p1a, p1b, spread = evaluate(collision.segment_segment_second, *geometry, np.ones(N))
    (distance1, *_) = evaluate(collision.round_round, ca, ua, ha, radius, cb, ub, hb, radius, np.ones(N))
    for name, p, c, u, h in (("a", p0a, ca, ua, ha), ("b", p0b, cb, ub, hb), ("a'", p1a, ca, ua, ha),
                             ("b'", p1b, cb, ub, hb)):
        along = np.sum((p - c) * u, axis=1)
        assert np.all(np.abs(along) <= h + 1e-12), name
        np.testing.assert_allclose(p, c + along[:, None] * u, atol=1e-12)
    brute = np.array([brute_segment_distance(*(x[i] for x in geometry)) for i in range(N)])
    np.testing.assert_allclose(np.linalg.norm(p0a - p0b, axis=1), brute, atol=ATOL_BRUTE)
    # The second b-point is the nearest of b's to the second a-point (brute force over b).
    brute1 = np.array([brute_segment_distance(p1a[i], ub[i], 0.0, cb[i], ub[i], hb[i], samples=3)
                       for i in range(N)])  # a point: closed-form clamp onto b
    np.testing.assert_allclose(np.linalg.norm(p1a - p1b, axis=1), brute1, atol=1e-12)
    s0, s1 = (np.sum((p - ca) * ua, axis=1) for p in (p0a, p1a))
    t = np.linspace(-1, 1, 20001)
    projected = np.einsum("nk,nk->n", cb - ca, ua)[:, None] + t[None] * (hb * np.sum(ua * ub, axis=1))[:, None]
    lower = np.maximum(projected.min(axis=1), -ha)
    upper = np.minimum(projected.max(axis=1), ha)
    resolution = 2 * hb / 20000  # m along a
    on = distance1 < collision.FAR / 2
    assert np.all(spread[on] >= collision.SPREAD_RADII * 0.05)
    assert np.all(distance1[on] >= brute[on] - 0.1 - 1e-12), "never deeper than the capsules overlap"
    near = (angle < 1e-2) & (upper - lower > collision.SPREAD_RADII * 0.05 + 1e-6)
    assert near.sum() > N / 2, near.sum()
    assert np.all(on[near])
    atol = resolution.max() + 1e-9
    np.testing.assert_allclose((s0 + s1)[near], (lower + upper)[near], atol=atol)  # mirror images
    # Mostly the closest point is at an end of the overlap, and the second at the other; axes skew by up to
    # 1e-2 rad can also come closest a little inside the overlap (by 7 mm here), the second as far inside.
    ends = near & (np.minimum(abs(s0 - lower), abs(s0 - upper)) < atol)
    assert ends.sum() > 0.95 * near.sum(), (ends.sum(), near.sum())
    assert np.all(ends[near & (angle == 0)])
    np.testing.assert_allclose(np.sort(np.stack([s0, s1], axis=1)[ends], axis=1),
                               np.stack([lower, upper], axis=1)[ends], atol=atol)
    crossing = angle > 0.3
    assert np.all(~on[angle == np.pi / 2])
    further = distance1[crossing & on] + 0.1 - brute[crossing & on]
    print(f"capsule pairs: {near.sum()} side by side with two points ({ends.sum()} at the overlap's ends); "
          f"of {crossing.sum()} crossing, "
          f"{on[crossing].sum()} with a second, {further.min():.3g} m or more further out than the first")


def test_sphere_against_box_inside_and_outside(rng):
    """Sphere centres around a rotated box: the signed distance is the box's (Euclidean outside,
    minus the depth below the nearest face inside) minus the radius; the normal points from the box
    to the sphere (outside: along centre - nearest point)."""
    half = np.array([0.3, 0.2, 0.1])
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    local = rng.uniform(-0.6, 0.6, size=(N, 3))
    box_centre = np.array([0.1, -0.2, 0.5])
    point = box_centre + local @ rotation.T
    radius = np.full(N, 0.05)
    args = (point, radius, np.tile(box_centre, (N, 1)), np.tile(rotation, (N, 1, 1)), np.tile(half, (N, 1)))
    distance, normal, contact = evaluate(collision.point_box, *args)
    np.testing.assert_allclose(distance, box_distance(local, half) - radius, atol=ATOL_DISTANCE)
    outside = np.any(np.abs(local) > half, axis=1)
    nearest = np.clip(local, -half, half) @ rotation.T + box_centre
    np.testing.assert_allclose(normal[outside], unit((point - nearest)[outside]), atol=1e-9)
    inside_normal = normal[~outside] @ rotation  # box frame: a face normal
    assert np.allclose(np.sort(np.abs(inside_normal), axis=1), [0, 0, 1])
    # The sphere's deepest point moved out along the normal by -distance touches the box.
    surface = point - radius[:, None] * normal - distance[:, None] * normal
    np.testing.assert_allclose(box_distance((surface - box_centre) @ rotation, half), 0.0, atol=1e-9)
    np.testing.assert_allclose(contact, 0.5 * (surface + point - radius[:, None] * normal), atol=1e-9)


def test_box_corner_on_an_equal_box_edge_pushes_up():
    """A corner of a box resting on an equal box lies on the lower box's edge, 1 mm deep: its normal
    is the top face's (+z, chosen by the upper box's centre), not a side's; slid 1 um out over the
    edge it still is, 1 um less deep."""
    half = np.array([[0.1, 0.1, 0.1]] * 2)
    corner = np.array([[0.1, 0.1, 0.099], [0.100001, 0.1, 0.099]])
    upper_centre = np.array([[0.0, 0.0, 0.199]] * 2)
    eye = np.tile(np.eye(3), (2, 1, 1))
    distance, normal, _ = evaluate(lambda p, r, c, rot, h, t: collision.point_box(p, r, c, rot, h, t),
                                   corner, np.zeros(2), np.zeros((2, 3)), eye, half, upper_centre)
    np.testing.assert_allclose(normal, [[0, 0, 1], [0, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(distance, [-0.001, -0.001 + 1e-6], atol=1e-12)


def test_capsule_axis_seeks_the_box(rng):
    """Capsule axes near a box: sampling and bisection find a point of the axis whose distance
    to the box is within ATOL_SEEK of the brute-force minimum over the axis."""
    half = np.array([0.3, 0.2, 0.1])
    centre = rng.uniform(-0.6, 0.6, size=(N, 3))
    axis = unit(rng.normal(size=(N, 3)))
    seg_half = rng.uniform(0.05, 0.4, N)
    args = (centre, axis, seg_half, np.zeros((N, 3)), np.tile(np.eye(3), (N, 1, 1)), np.tile(half, (N, 1)))
    (point,) = evaluate(lambda *a: (collision.segment_box_point(*a),), *args)
    along = np.sum((point - centre) * axis, axis=1)
    assert np.all(np.abs(along) <= seg_half + 1e-12)
    samples = 20001
    s = np.linspace(-1, 1, samples)
    points = centre[:, None] + (s[None, :, None] * seg_half[:, None, None]) * axis[:, None]
    brute = box_distance(points, half).min(axis=1)
    found = box_distance(point, half)
    # The signed distance to a box changes by at most the distance moved (1-Lipschitz), and the axis's
    # true minimum lies within half a sample spacing of a sample: no point beats brute by more.
    assert np.all(found >= brute - seg_half / (samples - 1) - 1e-12)
    worst = np.max(found - brute)
    print(f"capsule-box seek: worst {worst:.3g} m, mean {np.mean(found - brute):.3g} m")
    assert worst < ATOL_SEEK, f"worst seek error {worst:.3g} m"


# -- box against box ------------------------------------------------------------------------------
N_BOXES = 200
BOX_NEAR = 3e-3  # m: box pairs are placed with their separating-axis gap uniform in +-3 mm
CLEAR = 2e-4  # m: overlaps and separations beyond the surface sampling's resolution
DETECTED = 0.99  # share of overlapping pairs with a contact: measured 1.0 (88/88 here; 192/193 in a 400-case run);
# corners alone find 0.64 (e.g. every cube turned on a cube)
ATOL_DEPTH = 1e-5  # m: the deepest contact against the penetration depth (exact in all but 1 of 193 measured)


def separating_gap(ca, ra, ha, cb, rb, hb):
    """Largest gap (m) between the boxes' projections over the 15 separating axes, in numpy: minus the
    penetration depth of overlapping boxes (exact for convex polyhedra), a lower bound of the distance
    of separated ones."""
    axes = [*ra.T, *rb.T] + [np.cross(u, v) for u in ra.T for v in rb.T]
    axes = [a / np.linalg.norm(a) for a in axes if np.linalg.norm(a) > 1e-9]
    d = ca - cb
    return max(abs(a @ d) - ha @ abs(ra.T @ a) - hb @ abs(rb.T @ a) for a in axes)


def surface_samples(centre, rotation, half, n=40, n_edge=2001):
    """Points of a box's surface: an n x n grid on each face and n_edge points along each edge."""
    grid = np.stack(np.meshgrid(*[np.linspace(-1, 1, n)] * 2), axis=-1).reshape(-1, 2)
    along = np.linspace(-1, 1, n_edge)
    points = []
    for k in range(3):
        i, j = (k + 1) % 3, (k + 2) % 3
        for s in (-1, 1):
            face = np.zeros((len(grid), 3))
            face[:, k], face[:, i], face[:, j] = s, grid[:, 0], grid[:, 1]
            points.append(face)
            for s2 in (-1, 1):
                edge = np.zeros((n_edge, 3))
                edge[:, k], edge[:, i], edge[:, j] = along, s, s2
                points.append(edge)
    return centre + (np.concatenate(points) * half) @ rotation.T


@pytest.fixture(scope="module")
def box_pairs():
    """Random box pairs near contact: b at the origin, a moved in from a random direction until the
    separating-axis gap is a random target in +-BOX_NEAR (bisection); a quarter are b upright and a
    turned about z only (stacks)."""
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(7)

    pairs = []
    for n in range(N_BOXES):
        ha, hb = rng.uniform(0.03, 0.3, 3), rng.uniform(0.03, 0.3, 3)
        ra, rb = (Rotation.random(random_state=rng).as_matrix() for _ in range(2))
        if n % 4 == 0:
            ra, rb = Rotation.from_euler("z", rng.uniform(0, np.pi)).as_matrix(), np.eye(3)
        direction = unit(rng.normal(size=3))
        target, low, high = rng.uniform(-BOX_NEAR, BOX_NEAR), 0.0, 2.0
        for _ in range(60):
            middle = 0.5 * (low + high)
            low, high = (middle, high) if separating_gap(middle * direction, ra, ha, np.zeros(3), rb, hb) < target \
                else (low, middle)
        pairs.append((low * direction, ra, ha, np.zeros(3), rb, hb))
    return [np.array(x) for x in zip(*pairs)]


def box_pair_contacts(ca, ra, ha, cb, rb, hb):
    """(corner distances (N, 16), edge-crossing distances (N, 8)) of each box pair, as the step builds them."""
    from symphys.pairs import CORNER_SIGNS

    n = len(ca)
    rep = lambda x, k: np.repeat(x, k, axis=0)  # noqa: E731

    def corner(point, radius, box_centre, box_rotation, half, centre, rotation, carrier_half):
        distance = collision.point_box(point, radius, box_centre, box_rotation, half, centre)[0]
        return (collision.no_deeper_than_the_boxes(distance, centre - box_centre, rotation, carrier_half,
                                                   box_rotation, half),)

    corners = []
    for (c1, r1, h1), (c2, r2, h2) in (((ca, ra, ha), (cb, rb, hb)), ((cb, rb, hb), (ca, ra, ha))):
        points = (c1[:, None] + np.einsum("nij,nkj->nki", r1, CORNER_SIGNS[None] * h1[:, None])).reshape(-1, 3)
        (distance,) = evaluate(corner, points, np.zeros(8 * n), rep(c2, 8), rep(r2, 8), rep(h2, 8), rep(c1, 8),
                               rep(r1, 8), rep(h1, 8))
        corners.append(distance.reshape(n, 8))
    direction, offset = collision.edge_table()
    crossing = evaluate(collision.box_edge_crossing, rep(ca, 8), rep(ra, 8), rep(ha, 8), rep(cb, 8), rep(rb, 8),
                        rep(hb, 8), np.tile(direction, (n, 1, 1)), np.tile(offset, (n, 1, 1)),
                        np.tile(np.arange(8) >= 4, n).astype(float))[0]
    return np.concatenate(corners, axis=1), crossing.reshape(n, 8)


def test_box_pairs_touch_where_their_surfaces_meet(box_pairs):
    """Random box pairs within 3 mm of contact, against the separating-axis depth and a dense sampling
    of both surfaces (40 x 40 per face, 2,001 per edge): every overlap gets a contact (corners, or
    edge crossings where no corner is inside the other box), as deep as the penetration depth; no
    contact is deeper than it, and none comes at a sampled separation."""
    corners, crossings = box_pair_contacts(*box_pairs)
    deepest = np.minimum(corners.min(axis=1), crossings.min(axis=1))
    depth = np.array([-separating_gap(*pair) for pair in zip(*box_pairs)])
    ca, ra, ha, cb, rb, hb = box_pairs
    sampled = np.array([min(box_distance((surface_samples(*a) - b[0]) @ b[1], b[2]).min(),
                            box_distance((surface_samples(*b) - a[0]) @ a[1], a[2]).min())
                        for a, b in zip(zip(ca, ra, ha), zip(cb, rb, hb))])  # < 0: a sample inside the other
    overlap, apart = (depth > CLEAR) & (sampled < 0), sampled > CLEAR
    assert overlap.sum() > N_BOXES / 3 and apart.sum() > N_BOXES / 3
    detected = np.mean(deepest[overlap] < 0)
    print(f"box pairs: {overlap.sum()} overlapping, detected {detected:.3f} (corners alone "
          f"{np.mean(corners.min(axis=1)[overlap] < 0):.3f}); {apart.sum()} apart")
    assert detected >= DETECTED
    assert np.all(deepest >= -depth - 1e-9), "no contact deeper than the boxes overlap"
    assert np.all(deepest[apart] > 0), "no contact between separated boxes"
    found = overlap & (deepest < 0)
    np.testing.assert_allclose(deepest[found], -depth[found], atol=ATOL_DEPTH)
