"""Body-body contacts (issue 19): collisions and stacks against closed forms, on every solver."""

import numpy as np
import pytest
from conftest import NEWTON, G

import symphys as sp
from symphys.inspect import report
from symphys.rotations import axis_angle_to_quat

RTOL_EXIT = 1e-9  # exit velocities of a rigid bounce row: float64 round-off
RTOL_MOMENTUM = 1e-12  # equal and opposite impulses
ATOL_REST = 1e-6  # m: soft contact depth against its closed form; the pair row's contact point sits
# half the depth (0.4 mm) off the ground row's, a 1e-3 relative change of a 0.17 m lever's inertia term
DRIFT_LIMIT = 1e-3  # m, issue acceptance: a stack stays within 1 mm of where it settled
SPEED_LIMIT = 1e-3  # m/s, issue acceptance: no jitter
CRADLE_SHARE = 0.9  # issue acceptance: the last sphere leaves with >= 90 % of the first's speed
ATOL_CRADLE = 1e-4  # m/s left behind: 0 on Gauss-Seidel and Newton, 1.7e-5 on Jacobi (10 sweeps)
METHODS = ["jacobi", "gauss_seidel", NEWTON]
ATOL_IMPACT_ANGLE = 1e-9  # rad: the time of impact of spheres in straight flight is exact (round-off)


def omega(model):
    return 2 * np.pi * model.solver.contact_frequency


# -- collisions ---------------------------------------------------------------------------------
# (restitution, mass a kg, mass b kg) per world of one batch: elastic and plastic, equal-ish masses
# and 10 g against 100 kg.
COLLISIONS = np.array([(1.0, 1.0, 3.0), (0.0, 1.0, 3.0), (1.0, 0.01, 100.0), (0.0, 0.01, 100.0),
                       (0.5, 2.0, 2.0)])
V_A, V_B = 2.0, -1.0  # m/s along x


@pytest.mark.parametrize("method", METHODS)
def test_head_on_collision_exit_speeds_and_momentum(method):
    """Two spheres meet head on (no gravity, a batch of restitutions and mass ratios): momentum is
    conserved and the exit speeds are Newton's (v_a' = (m_a v_a + m_b v_b - e m_b (v_a - v_b)) / M);
    a plastic pair leaves together at the centre-of-mass speed once the speculative row has closed
    the gap."""
    world = sp.World(dt=0.01, gravity=(0, 0, 0), method=method)
    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 0), velocity=(V_A, 0, 0))
    world.add_sphere(radius=0.05, mass=1.0, position=(0.5, 0, 0), velocity=(V_B, 0, 0))
    model = world.build()
    n = len(COLLISIONS)
    e, m_a, m_b = COLLISIONS.T
    params = model.params().replace(body_mass=np.stack([m_a, m_b], axis=1),
                                    body_restitution=np.stack([e, e], axis=1))
    traj = sp.simulate(model, model.initial_state(batch=n), steps=30, params=params)
    v = traj.velocity[-1, :, :, 0]  # (batch, body)
    total = m_a + m_b
    momentum = m_a * V_A + m_b * V_B
    expected_a = (momentum - e * m_b * (V_A - V_B)) / total
    expected_b = (momentum + e * m_a * (V_A - V_B)) / total
    np.testing.assert_allclose(m_a * v[:, 0] + m_b * v[:, 1], momentum, rtol=RTOL_MOMENTUM)
    np.testing.assert_allclose(v[:, 0], expected_a, rtol=RTOL_EXIT, atol=RTOL_EXIT)
    np.testing.assert_allclose(v[:, 1], expected_b, rtol=RTOL_EXIT, atol=RTOL_EXIT)
    np.testing.assert_allclose(traj.velocity[-1, :, :, 1:], 0.0, atol=1e-12)
    gap = traj.position[:, :, 1, 0] - traj.position[:, :, 0, 0] - 0.15
    assert gap.min() > -1e-9, "the speculative row stops the spheres before they overlap"


def cradle(gap, method):
    """Five 0.2 kg spheres in a row (restitution 1, no friction, no gravity) with ``gap`` (m)
    between neighbours; a sixth's share: the first, 0.2 m away, comes in at 1 m/s."""
    world = sp.World(dt=0.01, gravity=(0, 0, 0), method=method)
    r = 0.05
    world.add_sphere(radius=r, mass=0.2, position=(-0.2, 0, 0), velocity=(1, 0, 0), restitution=1.0, friction=0.0)
    for k in range(4):
        world.add_sphere(radius=r, mass=0.2, position=(k * (2 * r + gap), 0, 0), restitution=1.0, friction=0.0)
    traj = sp.simulate(world.build(), steps=100)
    return traj.velocity[-1, :, 0]


@pytest.mark.parametrize("method", METHODS)
def test_newtons_cradle_passes_the_momentum_through(method):
    """Spheres 2 cm apart (two steps of travel at 1 m/s, dt 0.01 s): each collision happens alone
    within its step, and the last sphere leaves with the first's speed while the others stop."""
    v = cradle(0.02, method)
    assert v[-1] >= CRADLE_SHARE
    np.testing.assert_allclose(v, [0, 0, 0, 0, 1.0], atol=ATOL_CRADLE)


@pytest.mark.xfail(strict=True, reason="touching spheres collide within one step: every solver solves the rows "
                   "at once (an LCP), which spreads the momentum; measured last/first 0.40 (Gauss-Seidel), "
                   "0.40 (Jacobi), 0.39 (Newton)")
def test_newtons_cradle_with_touching_spheres():
    assert cradle(0.0, "gauss_seidel")[-1] >= CRADLE_SHARE


# -- resting contact ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["gauss_seidel", NEWTON])  # Jacobi passes too (19 s more)
def test_resting_depths_on_spheres_and_on_a_fixed_box(method):
    """A 0.5 kg sphere on a 2 kg sphere on the ground rests at the soft rows' closed-form depths
    (each row a spring m_eff omega^2: ground delta_1 = (m_1 + m_2) g / (m_1 omega^2), between the
    spheres delta_2 = m_2 g (1/m_1 + 1/m_2) / omega^2); a box and a sphere on a fixed table rest
    as deep in its top as twins on the ground do in the ground."""
    world = sp.World(dt=0.01, method=method)
    world.add_ground(friction=0.8)
    top = 0.3
    world.add_box(half_extents=(0.5, 0.5, top / 2), position=(3, 0, top / 2), fixed=True, name="table")
    r, m1, m2 = 0.1, 2.0, 0.5
    world.add_sphere(radius=r, mass=m1, position=(0, 0, r))
    world.add_sphere(radius=r, mass=m2, position=(0, 0, 3 * r))
    for x, base in ((1.5, 0.0), (3.2, top)):  # twins: on the ground, on the table
        world.add_box(half_extents=(0.1, 0.15, 0.05), mass=2.0, position=(x, 0, base + 0.05))
        world.add_sphere(radius=0.08, mass=1.0, position=(x - 0.3, 0, base + 0.08))
    model = world.build()
    traj = sp.simulate(model, steps=300)
    z = traj.position[-1, :, 2]
    w2 = omega(model) ** 2
    delta1 = (m1 + m2) * G / (m1 * w2)
    delta2 = m2 * G * (1 / m1 + 1 / m2) / w2
    np.testing.assert_allclose(z[1:3], [r - delta1, 3 * r - delta1 - delta2], atol=ATOL_REST)
    np.testing.assert_allclose(z[5:7] - top, z[3:5], atol=ATOL_REST)
    np.testing.assert_allclose(traj.position[:, 0], np.tile(model.init_position[0], (301, 1)), atol=0)
    assert np.abs(traj.velocity[-1]).max() < 1e-6


def pyramid(method, rows=(4, 3, 2, 1), near_only=True):
    """Ten 1 kg boxes (0.2 m cubes, 2 mm apart in a layer), each layer centred on the one below."""
    world = sp.World(dt=0.01, method=method)
    world.add_ground(friction=0.8)
    h, gap = 0.1, 0.002
    for layer, count in enumerate(rows):
        for k in range(count):
            x = (k - (count - 1) / 2) * (2 * h + gap)
            world.add_box(half_extents=(h, h, h), mass=1.0, friction=0.8, position=(x, 0, h + layer * 2 * h))
    if near_only:
        world.exclude_distant_contacts(0.02)
    return world.build()


def assert_stack_stands(traj, settle_step):
    position = traj.position
    drift = np.linalg.norm(position[settle_step:] - position[settle_step], axis=-1).max()
    assert drift < DRIFT_LIMIT, f"drift {drift:.3g} m"
    assert np.abs(traj.velocity[-1]).max() < SPEED_LIMIT
    assert np.abs(position[-1, :, :2] - position[0, :, :2]).max() < DRIFT_LIMIT


def test_pyramid_of_ten_boxes_stands_on_gauss_seidel():
    """Neighbouring pairs only (exclude_distant_contacts): standing 2 s, within 1 mm of where it
    settled after 0.5 s (the 10 s version with all pairs is marked slow)."""
    model = pyramid("gauss_seidel")
    assert model.n_pair_contacts == (16 + 8) * 24  # 24 touching pairs of the 45: 16 corners, 8 edge crossings
    assert_stack_stands(sp.simulate(model, steps=200), 50)


@pytest.mark.slow  # Gauss-Seidel, all 45 pairs (2,400 rows): 48 s; Newton, 24 pairs (1,392 rows): 6.4 min
@pytest.mark.parametrize("method, near_only",
                         [("gauss_seidel", False), pytest.param("newton", True, marks=NEWTON.marks)])
def test_pyramid_of_ten_boxes_stands_for_ten_seconds(method, near_only):
    """Measured: drift 0.04 mm (Gauss-Seidel), 0.14 mm (Newton); Jacobi collapses (924 mm)."""
    model = pyramid(method, near_only=near_only)
    assert_stack_stands(sp.simulate(model, steps=1000), 100)


# -- box edges ----------------------------------------------------------------------------------
S2 = np.sqrt(2)
RIDGE = 0.3 + 0.1 * S2  # m: the top edge of a fixed box (half height 0.1 m) centred 0.3 m up, turned 45 deg about x
ATOL_LEVEL = 1e-3  # quaternion components (2 mrad): unequal soft depths under an off-centre load, 0.57 mrad measured
ATOL_SUPPORT = 2e-3  # m: resting height against the rigid geometry: soft depth (measured 0.4-0.7 mm) + 1 mm drop


def edge_scenes():
    """Boxes (1 kg, friction 0.8) dropped 1 mm onto supports that they touch only edge to edge or edge to
    face, where no corner of either box touches a face of the other; fixed supports, no ground (a box
    that falls through falls for ever).  (name, body index, resting centre height (m) of the rigid
    geometry) per scene."""
    world = sp.World(dt=0.01, method="gauss_seidel")
    q45 = {axis: axis_angle_to_quat(axis, np.pi / 4) for axis in ((1, 0, 0), (0, 1, 0), (0, 0, 1))}
    cube, plank = (0.1, 0.1, 0.1), (0.05, 0.3, 0.02)
    scenes = []

    def drop(name, x, half, z, orientation=(1.0, 0.0, 0.0, 0.0), dx=0.0, dy=0.0):
        body = world.add_box(half_extents=half, mass=1.0, friction=0.8, position=(x + dx, dy, z + 0.001),
                             orientation=orientation)
        scenes.append((name, body.index, z))

    ridge = dict(orientation=q45[(1, 0, 0)], fixed=True)
    world.add_box(half_extents=(0.3, 0.1, 0.1), position=(0, 0, 0.3), **ridge)
    drop("plank across a ridge", 0, plank, RIDGE + 0.02)
    world.add_box(half_extents=cube, position=(2, 0, 0.3), **ridge)
    drop("cube edge on edge", 2, cube, RIDGE + 0.1 * S2, q45[(0, 1, 0)])
    world.add_box(half_extents=cube, position=(4, 0, 0.1), fixed=True)
    drop("cube turned 45 deg on a cube", 4, cube, 0.3, q45[(0, 0, 1)])
    world.add_box(half_extents=cube, position=(6, 0, 0.1), fixed=True)
    drop("cube offset (5, 3) cm on a cube", 6, cube, 0.3, dx=0.05, dy=0.03)
    for y in (-0.2, 0.2):
        world.add_box(half_extents=(0.3, 0.1, 0.1), position=(8, y, 0.3), **ridge)
    drop("plank across two ridges", 8, plank, RIDGE + 0.02)
    world.exclude_distant_contacts(0.1)
    return world.build(), scenes


def test_boxes_rest_on_edges_where_no_corner_touches_a_face():
    """A plank across a ridge or two, a cube balanced edge on edge, a cube turned 45 degrees on an equal
    cube and one offset by (5, 3) cm rest on the edge crossings: 2 s, within 1 mm of where they settled
    after 0.5 s, at their rigid heights within the soft depth, level and in place.  With corners only
    (before the edge crossings) the first two fell through, the turned cube sank 42 mm and the offset
    one tilted and slid 2 cm.  The plank on one ridge and the cube on edge are balanced (unstable):
    they stand by symmetry, as the contact points lie exactly under their centres."""
    model, scenes = edge_scenes()
    assert model.n_pair_contacts == 6 * (16 + 8)
    traj = sp.simulate(model, steps=200)
    for name, body, height in scenes:
        position = traj.position[:, body]
        drift = np.linalg.norm(position[50:] - position[50], axis=-1).max()
        assert drift < DRIFT_LIMIT, f"{name}: drift {drift:.3g} m"
        assert np.linalg.norm(traj.velocity[-1, body]) < SPEED_LIMIT, name
        np.testing.assert_allclose(position[-1], position[0] - [0, 0, 0.001], atol=ATOL_SUPPORT, err_msg=name)
        assert height - ATOL_SUPPORT < position[-1, 2] < height, name
        np.testing.assert_allclose(traj.orientation[-1, body], traj.orientation[0, body], atol=ATOL_LEVEL, err_msg=name)


ANGULAR_SPEED_LIMIT = 1e-3  # rad/s: a log at rest does not roll or rock


def log_scenes():
    """1 kg capsules (r = 5 cm, 0.6 m long, friction 0.8) on fixed capsules: one in the groove of two
    parallel logs 1 cm apart (a log pile), shifted 0.15 m along them (its centre 7.5 cm off the middle of
    their overlap) and turning at 0.05 rad/s about the horizontal across them; one laid crosswise over
    two logs 0.4 m apart, off-centre by 0.1 m and turning 0.05 rad/s the same way.  Both start 0.1 mm
    above their supports.  (body index of the log pile's top, of the crosswise one)."""
    world = sp.World(dt=0.01, method="gauss_seidel")
    r, length = 0.05, 0.6
    along_x, along_y = axis_angle_to_quat((0, 1, 0), np.pi / 2), axis_angle_to_quat((1, 0, 0), np.pi / 2)
    spacing = r + 0.005
    for y in (-spacing, spacing):
        world.add_capsule(radius=r, length=length, position=(0, y, r), orientation=along_x, fixed=True)
    top = world.add_capsule(radius=r, length=length, mass=1.0, friction=0.8, orientation=along_x,
                            position=(0.15, 0, r + np.sqrt((2 * r) ** 2 - spacing ** 2) + 1e-4),
                            angular_velocity=(0, 0.05, 0))
    for y in (-0.2, 0.2):
        world.add_capsule(radius=r, length=length, position=(2, y, r), orientation=along_x, fixed=True)
    across = world.add_capsule(radius=r, length=length, mass=1.0, friction=0.8, orientation=along_y,
                               position=(2.05, 0.1, 3 * r + 1e-4), angular_velocity=(0.05, 0, 0))
    world.exclude_distant_contacts(0.5)
    return world.build(), top.index, across.index


def test_capsules_rest_along_two_logs_and_across_them():
    """A log pile's top log and a capsule laid crosswise rest 2 s within 1 mm of where they settled after
    0.5 s, neither rolling nor rocking (angular speed < 1e-3 rad/s; measured 2e-14).  Each capsule pair has
    two points, the ends of the overlap of the two axes where they lie side by side; crossing ones keep one.
    With one point at the middle of the overlap the top log rocked about it: still 0.28 rad/s after 2.5 s,
    3 mm lower."""
    model, top, across = log_scenes()
    assert model.n_pair_contacts == 4 * 2 and model.pair_round_second.sum() == 4
    traj = sp.simulate(model, steps=250)
    for name, body in (("log pile", top), ("crosswise", across)):
        position = traj.position[:, body]
        drift = np.linalg.norm(position[50:] - position[50], axis=-1).max()
        assert drift < DRIFT_LIMIT, f"{name}: drift {drift:.3g} m"
        spin = np.linalg.norm(traj.angular_velocity[50:, body], axis=-1).max()
        assert spin < ANGULAR_SPEED_LIMIT, f"{name}: angular speed {spin:.3g} rad/s"
        assert np.linalg.norm(traj.velocity[-1, body]) < SPEED_LIMIT, name
        np.testing.assert_allclose(position[-1], position[0], atol=ATOL_SUPPORT, err_msg=name)


def test_capsule_falling_flat_on_a_capsule_bounces_without_spin():
    """A capsule falling flat at 2 m/s (e = 0.5, no friction, no gravity) onto a parallel fixed capsule,
    its centre 0.1 m off the middle of their overlap: both points bounce, and it leaves straight up at
    1 m/s without turning.  With one point at the overlap's middle it left spinning at 4.4 rad/s, at
    0.86 m/s up and 0.16 m/s sideways."""
    world = sp.World(dt=0.01, gravity=(0, 0, 0), method="gauss_seidel")
    along_x = axis_angle_to_quat((0, 1, 0), np.pi / 2)
    world.add_capsule(radius=0.05, length=0.6, orientation=along_x, fixed=True)
    world.add_capsule(radius=0.05, length=0.6, mass=1.0, friction=0.0, restitution=0.5, orientation=along_x,
                      position=(0.2, 0, 0.12), velocity=(0, 0, -2.0))
    traj = sp.simulate(world.build(), steps=10)
    np.testing.assert_allclose(traj.velocity[-1, 1], [0, 0, 1.0], atol=1e-9)
    np.testing.assert_allclose(traj.angular_velocity[-1, 1], 0.0, atol=1e-9)


def sphere_stacks(gap=0.001, friction=0.1):
    """Five 1 kg spheres (r = 0.1 m): four in a square on the ground, ``gap`` (m) apart, and one in their
    pocket; twice, the first in a corral of four fixed walls ``gap`` / 2 from the square, the second
    (4 m away) without.  Friction 0.1 is too little to hold the square alone: the pocket sphere pushes
    each lower one out with a quarter of its weight along the diagonal (mg / 4), more than the
    ground's 0.1 x 1.25 mg."""
    world = sp.World(dt=0.01, method="gauss_seidel")
    world.add_ground(friction=friction)
    r, wall = 0.1, 0.05
    inner = 2 * r + gap  # m: from the corral's centre to its walls' inner faces
    for axis in range(2):
        for sign in (-1, 1):
            centre, half = np.array([0.0, 0.0, r]), np.array([inner + 2 * wall, inner + 2 * wall, r])
            centre[axis], half[axis] = sign * (inner + wall), wall
            world.add_box(half_extents=half, position=centre, fixed=True, friction=friction)
    for x0 in (0.0, 4.0):
        for x in (-1, 1):
            for y in (-1, 1):
                world.add_sphere(radius=r, mass=1.0, friction=friction,
                                 position=(x0 + x * (r + gap / 2), y * (r + gap / 2), r))
        world.add_sphere(radius=r, mass=1.0, friction=friction, position=(x0, 0, r + r * S2 + 2 * gap))
    world.exclude_distant_contacts(1.0)
    return world.build(), inner


def assert_sphere_stack_held(steps):
    """The corralled stack stands (within 1 mm of where it settled after 0.5 s, speed < 1 mm/s) with
    its lower spheres pressed against the walls (their far points past the walls' inner faces by the
    soft depth, under 0.5 mm: measured 0.04 mm) and the top one centred; the twin without a corral
    spreads and its top sphere falls more than 5 cm."""
    model, inner = sphere_stacks()
    traj = sp.simulate(model, steps=steps)
    held, free = slice(4, 9), slice(9, 14)
    position = traj.position[:, held]
    drift = np.linalg.norm(position[50:] - position[50], axis=-1).max()
    assert drift < DRIFT_LIMIT, f"drift {drift:.3g} m"
    assert np.abs(traj.velocity[-1, held]).max() < SPEED_LIMIT
    reach = np.abs(position[-1, :4, :2]) + 0.1  # the lower spheres' far points along x and y
    assert np.all((reach > inner) & (reach < inner + 5e-4)), reach - inner
    # By symmetry; Gauss-Seidel visits the rows in turn, which breaks it a little (measured 1.5e-6 m; 1.3e-9 m
    # when the top sphere's rows were soft while it fell into the pocket, not speculative).
    np.testing.assert_allclose(position[-1, 4, :2], 0.0, atol=1e-5)
    assert traj.position[-1, free][4, 2] < position[-1, 4, 2] - 0.05, "without the corral the stack spreads"


def test_five_sphere_stack_held_by_a_box_corral_stands_for_ten_seconds():
    """Issue 19 acceptance: 10 s.  Measured drift < 1 um, final speed < 1e-9 m/s."""
    assert_sphere_stack_held(1000)


def test_auto_solves_body_contacts_by_gauss_seidel():
    assert pyramid("auto", rows=(1, 1)).solver_method == "gauss_seidel"
    assert pyramid("auto", rows=(1,)).solver_method == "jacobi"  # one box: no body contacts


@pytest.mark.slow  # 20 s
def test_box_pyramid_on_jacobi_does_not_stand():
    """Why ``auto`` picks Gauss-Seidel for models with body contacts: with 10 sweeps, Jacobi's
    simultaneous updates let the ten-box pyramid slide apart (measured 0.19 m/s and 0.16 m sideways
    after 3 s).  (A box on a box settles on Jacobi since contacts switch on across a gap with rigid
    rows: 4e-8 m/s after 3 s, where it bounced at 0.1 m/s before.)"""
    jacobi = sp.simulate(pyramid("jacobi"), steps=300)
    assert np.abs(jacobi.velocity[-1]).max() > 0.01


# -- gradients ----------------------------------------------------------------------------------
RTOL_GRADIENT = 1e-4  # issue acceptance
EPS = 1e-6


def test_gradient_of_an_oblique_collision_matches_central_differences():
    """A 0.3 kg sphere hits a resting 0.2 kg one off-centre (restitution 0.8, frictionless, no
    gravity): the gradient of the target's exit velocity with respect to the incoming speed and
    angle agrees with central differences to 1e-4 relative."""
    world = sp.World(dt=0.01, gravity=(0, 0, 0))
    world.add_sphere(radius=0.05, mass=0.3, position=(0, 0, 0), restitution=0.8, friction=0.0)
    world.add_sphere(radius=0.05, mass=0.2, position=(0.4, 0.03, 0), restitution=0.8, friction=0.0)
    model = world.build()
    state = sp.symbolic_state(model)
    final, _ = sp.rollout(model, state, 40)
    exit_velocity = final.velocity[1, :2]
    loss = exit_velocity[0] + 2.0 * exit_velocity[1]
    fn = sp.compile([state.velocity], [exit_velocity, sp.grad(loss, state.velocity)])
    v0 = model.initial_state().velocity

    def incoming(speed, angle):
        v = v0.copy()
        v[0, :2] = speed * np.cos(angle), speed * np.sin(angle)
        return v

    speed, angle = 1.5, 0.05
    exit_v, grad_v = fn(incoming(speed, angle))
    assert exit_v[0] > 0.5 and abs(exit_v[1]) > 0.05, "an oblique hit"
    symbolic = np.array([grad_v[0, 0] * np.cos(angle) + grad_v[0, 1] * np.sin(angle),
                         speed * (-grad_v[0, 0] * np.sin(angle) + grad_v[0, 1] * np.cos(angle))])

    def f(speed, angle):
        out = fn(incoming(speed, angle))[0]
        return out[0] + 2.0 * out[1]

    numeric = np.array([(f(speed + EPS, angle) - f(speed - EPS, angle)) / (2 * EPS),
                        (f(speed, angle + EPS) - f(speed, angle - EPS)) / (2 * EPS)])
    np.testing.assert_allclose(symbolic, numeric, rtol=RTOL_GRADIENT)


def test_struck_sphere_leaves_along_the_line_of_centres_at_impact_whatever_the_step():
    """A 0.3 kg sphere hits a resting 0.2 kg one (frictionless, no gravity) with impact parameter b:
    the struck sphere leaves along the line of centres at the moment they touch, at asin(b / (r_a +
    r_b)) to the incoming direction, for any incoming speed.  Speeds 1-1.6 m/s move the impact
    across six steps; a bounce taken with the normal at the start of its step (a gap of up to one
    step's travel still open) gave 0.266-0.304 rad here, jumping from step to step."""
    radius, b = 0.05, 0.03
    world = sp.World(dt=0.01, gravity=(0, 0, 0))
    world.add_sphere(radius=radius, mass=0.3, position=(0, 0, 0), restitution=0.8, friction=0.0)
    world.add_sphere(radius=radius, mass=0.2, position=(0.4, b, 0), restitution=0.8, friction=0.0)
    model = world.build()
    speeds = np.linspace(1.0, 1.6, 25)
    start = model.initial_state(batch=len(speeds))
    velocity = start.velocity.copy()
    velocity[:, 0, 0] = speeds
    traj = sp.simulate(model, start.replace(velocity=velocity), steps=40)
    exit_velocity = traj.velocity[-1, :, 1, :2]
    angle = np.arctan2(exit_velocity[:, 1], exit_velocity[:, 0])  # the struck sphere goes to +y
    np.testing.assert_allclose(angle, np.arcsin(b / (2 * radius)), rtol=0, atol=ATOL_IMPACT_ANGLE)


# -- the API ------------------------------------------------------------------------------------
def test_candidates_follow_joints_exclusions_groups_and_fixed_bodies():
    world = sp.World()
    a = world.add_sphere(radius=0.1)
    b = world.add_capsule(radius=0.05, length=0.2, position=(1, 0, 0))
    c = world.add_box(half_extents=(0.1, 0.1, 0.1), position=(2, 0, 0))
    d = world.add_box(half_extents=(0.1, 0.1, 0.1), position=(3, 0, 0), fixed=True)
    world.add_box(half_extents=(0.1, 0.1, 0.1), position=(4, 0, 0), fixed=True)  # fixed-fixed: no pair
    world.add_sphere(radius=0.1, position=(5, 0, 0), contype=2, conaffinity=2)  # touches only its group
    model = world.build()
    # a-b round; a-c, a-d sphere-box (1 each); b-c, b-d capsule-box (3 each); c-d, c-e box-box (16 each);
    # a-e, b-e, d-... : a-e sphere-box 1, b-e capsule-box 3, d-e none (both fixed); f with nobody.
    assert len(model.pair_round_body) == 1
    assert len(model.pair_box_body) == 1 + 1 + 3 + 3 + 16 + 16 + 1 + 3
    assert model.n_rows == 3 * model.n_pair_contacts
    world.add_hinge(a, b, anchor=(0.5, 0, 0), axis=(0, 1, 0))
    world.exclude_contact(c, "box3")
    model = world.build()
    assert len(model.pair_round_body) == 0
    assert len(model.pair_box_body) == 1 + 1 + 3 + 3 + 16 + 1 + 3
    assert not np.any(np.all(np.sort(model.pair_box_body, axis=1) == [c.index, d.index], axis=1))


def test_mjcf_collision_masks_exclusions_and_static_geoms():
    """contype/conaffinity as MuJoCo filters geoms, <exclude> removes a pair, a worldbody box is a
    fixed body; ``symphys graph``'s summary counts the candidate rows."""
    xml = """
    <mujoco>
      <worldbody>
        <geom name="wall" type="box" size="0.1 1 1" pos="2 0 1"/>
        <body name="a" pos="0 0 1"><freejoint/><geom size="0.1"/></body>
        <body name="b" pos="0.5 0 1"><freejoint/><geom size="0.1" contype="2" conaffinity="2"/></body>
        <body name="c" pos="1 0 1"><freejoint/><geom size="0.1" contype="3" conaffinity="1"/></body>
        <body name="d" pos="1.5 0 1"><freejoint/><geom type="capsule" size="0.05 0.1"/></body>
      </worldbody>
      <contact><exclude body1="a" body2="d"/></contact>
    </mujoco>"""
    model = sp.load_mjcf(xml).build()
    assert model.body_names == ("wall", "a", "b", "c", "d") and model.fixed_mask.tolist() == [True] + [False] * 4
    # b (2/2) touches c only (c's contype 3 & b's conaffinity 2); a-d excluded.
    pairs = {tuple(sorted(p)) for p in model.pair_round_body.tolist()}
    assert pairs == {(1, 3), (2, 3), (3, 4)}
    assert {tuple(p) for p in model.pair_box_body.tolist()} == {(1, 0), (3, 0), (4, 0)}  # b-wall: masks
    assert model.n_pair_contacts == 3 + 1 + 1 + 3
    assert report.row_summary(model) == ("24 constraint rows: 0 for 0 ground-contact candidates, 24 for 8 "
                                         "body-body contact candidates, 0 for joints, limits and motors")


def test_fixed_body_stays_put_and_carries_a_jointed_body():
    """A fixed box is the world to the solvers: a pendulum hinged to it swings as one hinged to the
    world does (3 m away), and the box does not move."""
    world = sp.World(dt=0.01)
    base = world.add_box(half_extents=(0.1, 0.1, 0.1), position=(0, 0, 1), fixed=True)
    bob = world.add_sphere(radius=0.05, mass=1.0, position=(0.5, 0, 1))
    world.add_hinge(base, bob, anchor=(0, 0, 1), axis=(0, 1, 0))
    twin = world.add_sphere(radius=0.05, mass=1.0, position=(3.5, 0, 1))
    world.add_hinge(None, twin, anchor=(3, 0, 1), axis=(0, 1, 0))
    traj = sp.simulate(world.build(), steps=50)
    np.testing.assert_array_equal(traj.position[:, 0], np.tile([0, 0, 1.0], (51, 1)))
    assert traj.position[-1, 1, 2] < 0.9
    np.testing.assert_allclose(traj.position[:, 1], traj.position[:, 2] - [3, 0, 0], atol=1e-12)


def test_bad_contact_arguments_name_themselves():
    world, other = sp.World(), sp.World()
    a = world.add_sphere(radius=0.1)
    b = world.add_sphere(radius=0.1, position=(1, 0, 0))
    stranger = other.add_sphere(radius=0.1)
    with pytest.raises(ValueError, match="b: body 'sphere0' belongs to another World"):
        world.exclude_contact(a, stranger)
    with pytest.raises(ValueError, match="a: unknown body 'nobody'"):
        world.exclude_contact("nobody", b)
    with pytest.raises(ValueError, match="b: unknown body index 7"):
        world.exclude_contact(a, 7)
    with pytest.raises(ValueError, match="b: a body cannot be excluded from contact with itself"):
        world.exclude_contact(a, a)
    world.add_ball_joint(a, b, anchor=(0.5, 0, 0))
    with pytest.raises(ValueError, match="b: .* are joined by a joint"):
        world.exclude_contact(b, a)
    with pytest.raises(ValueError, match="contype must be >= 0"):
        world.add_sphere(radius=0.1, contype=-1)
    with pytest.raises(TypeError, match="conaffinity must be an integer bit mask"):
        world.add_sphere(radius=0.1, conaffinity=1.5)
    with pytest.raises(ValueError, match="velocity, angular_velocity: a fixed body does not move"):
        world.add_box(half_extents=(1, 1, 1), fixed=True, velocity=(1, 0, 0))
    table = world.add_box(half_extents=(1, 1, 0.1), fixed=True, position=(0, 0, -2))
    with pytest.raises(ValueError, match="child: a joint between fixed bodies"):
        world.add_fixed(None, table)
    with pytest.raises(ValueError, match="contact_margin must be >= 0"):
        sp.World(contact_margin=-0.01)
    with pytest.raises(ValueError, match="distance must be"):
        world.exclude_distant_contacts(-1.0)


def test_too_many_candidate_rows_suggest_exclusions_and_groups():
    """141 spheres (9,870 pairs, 29,610 rows) build; 142 (30,033 rows) exceed the limit of 30,000 and
    the error says how to remove pairs."""
    def spheres(n, **kwargs):
        world = sp.World()
        for i in range(n):
            world.add_sphere(radius=0.1, position=(i, 0, 0), **kwargs)
        return world

    assert spheres(141).build().n_pair_contacts == 141 * 140 // 2
    with pytest.raises(ValueError, match=r"10011 body pairs .* 30033 candidate contact rows, more than the limit "
                                         r"of 30000 .*exclude_contact\(a, b\).*contype/conaffinity"):
        spheres(142).build()
    assert spheres(142, contype=0, conaffinity=0).build().n_pair_contacts == 0


# -- MuJoCo ---------------------------------------------------------------------------------------
ATOL_MUJOCO_REST = 1e-3  # m, issue acceptance
SPHERE_ON_TABLE = """
<mujoco>
  <option timestep="0.005"/>
  <worldbody>
    <geom name="table" type="box" size="0.5 0.4 0.2" pos="0 0 0.2" euler="0 0 20"/>
    <body name="ball" pos="0.1 0.05 0.8">
      <freejoint/>
      <geom type="sphere" size="0.1" mass="1"/>
    </body>
  </worldbody>
</mujoco>"""


def test_sphere_falling_on_a_fixed_box_rests_at_mujocos_height():
    """The same MJCF in both engines: a 1 kg sphere dropped 0.3 m onto a static box geom of the
    worldbody (a fixed body in symphys) rests at the same height within 1 mm after 2 s."""
    mujoco = pytest.importorskip("mujoco")
    m = mujoco.MjModel.from_xml_string(SPHERE_ON_TABLE)
    d = mujoco.MjData(m)
    steps = 400
    for _ in range(steps):
        mujoco.mj_step(m, d)
    model = sp.load_mjcf(SPHERE_ON_TABLE).build()
    assert model.fixed_mask.tolist() == [True, False]
    traj = sp.simulate(model, steps=steps)
    np.testing.assert_allclose(traj.position[-1, 1], d.qpos[:3], atol=ATOL_MUJOCO_REST)
    assert abs(traj.position[-1, 1, 2] - 0.5) < 1e-3  # on the table top (z = 0.4) plus the radius


ATOL_MUJOCO_LANDING = 0.02  # m, issue acceptance; measured 0.7 mm
CAPSULE_ON_RAMP = """
<mujoco>
  <option timestep="0.005"/>
  <worldbody>
    <geom type="plane" size="0 0 0.05"/>
    <geom name="ramp" type="box" size="0.6 0.3 0.05" pos="0 0 0.5" euler="0 15 0"/>
    <body name="log" pos="-0.4 0 0.73">
      <freejoint/>
      <geom type="capsule" size="0.05 0.15" euler="90 0 0" mass="1"/>
    </body>
  </worldbody>
</mujoco>"""


def test_capsule_rolling_off_a_ramp_lands_where_mujoco_lands():
    """A capsule rolls down a static box tilted 15 degrees, off its edge and onto the ground: the
    landing point (the first step its centre is within 3 mm of its resting height) agrees with
    MuJoCo's within 2 cm, at the same step."""
    mujoco = pytest.importorskip("mujoco")
    m = mujoco.MjModel.from_xml_string(CAPSULE_ON_RAMP)
    d = mujoco.MjData(m)
    steps = 280
    reference = []
    for _ in range(steps):
        mujoco.mj_step(m, d)
        reference.append(d.qpos[:3].copy())
    ours = sp.simulate(sp.load_mjcf(CAPSULE_ON_RAMP).build(), steps=steps).position[1:, 1]

    def landing(position):
        step = int(np.argmax(position[:, 2] < 0.05 + 0.003))
        assert step > 0, "it lands"
        return step, position[step]

    (step_mj, at_mj), (step, at) = landing(np.array(reference)), landing(ours)
    assert abs(step - step_mj) <= 1
    np.testing.assert_allclose(at, at_mj, atol=ATOL_MUJOCO_LANDING)
