"""Regimes the examples never reach, against closed forms.

Restitution from 0 to 1 and its threshold (spheres and boxes, 10 g to 100 kg), a 20 m/s impact,
a box on an incline either side of its friction angle, frictionless and diagonal sliding,
first-order convergence as dt halves (torque-free tumbling, a pendulum), hinged chains with mass
ratios 1:100 and 1:1000, and float32 gradients of a jointed model against float64.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
from conftest import NEWTON, G

import symphys as sp
from symphys.rotations import quat_to_matrix

DT = 0.01  # s
RADIUS = 0.1  # m, the dropped spheres
BOX_HALF = (0.1, 0.15, 0.05)  # m, the dropped and sliding boxes
DROP_HEIGHT = 1.0  # m, lowest point above the ground
RESTITUTIONS = (0.0, 0.3, 0.7, 1.0)
DROP_MASSES = (0.01, 0.1, 10.0, 100.0)  # kg
BELOW_THRESHOLD, ABOVE_THRESHOLD = 0.3, 0.8  # m/s approach speeds either side of the 0.5 m/s threshold
IMPACT_SPEED = 20.0  # m/s
IMPACT_RESTITUTION = 0.5
IMPACT_MASSES = (0.01, 0.1, 1.0, 10.0, 100.0)  # kg, one per phase of the impact within its step
DIAGONAL_VELOCITY = (1.5, 1.0, 0.0)  # m/s
SLIDE_MU = 0.5
FLAT_STEPS = 200  # 2 s

# Restitution is checked by energy, in the discrete time of semi-implicit Euler: free flight keeps
# v^2 / 2 + g z - g dt v / 2 exactly, so the apex after a bounce is e^2 times that invariant before it,
# over g.  A bounce takes e times the speed at its time of impact within the step, and moves the body
# as if it turned there (contact_normal.py): measured within 0.1 mm of e^2 h for 1 m drops at every
# phase of the step (before: -9 mm from the impact step's penetration, or +31 mm turning above the
# ground at the start of the step).  The apex is the highest sample, up to g dt^2 / 8 below the top.
APEX_ATOL = 3e-4  # m
# Gauss-Seidel boxes: four corner rows converge to 1.3e-5 of e in 10 sweeps (measured).
BOX_APEX_ATOL = 1e-3  # m
# m, m/s: a speculative or non-bouncing impact row sets a body down on the surface and stops it to
# round-off (measured heights <= 8e-17 m, upward speeds <= 8e-15 m/s).
SET_DOWN_ATOL = 1e-12
# m: a box landing flat at 4.4 m/s, at any phase of the step: measured 0 at the landing step and
# <= 0.607 mm after it (Gauss-Seidel, Newton; the resting sink on four corners).
BOX_LANDING_DEPTH = 0.001
LANDING_PHASES = (0.0, 0.011, 0.022, 0.033)  # m, extra drop heights: a 4.4 m/s box covers 44 mm a step
LANDING_MASSES = (0.01, 1.0, 100.0, 1.0)  # kg
PHASE_RESTITUTION = 0.7  # spheres dropped at the landing phases
LINE_ANGLE_LIMIT = 2.0  # deg, issue 21


# The flat-ground bodies touch the ground only: without body-body contact candidates (4,368 rows of
# 120 pairs, which also joined the 26 bodies into one Newton component: 234 ms a step) each body is
# its own 6 x 6 Newton problem.
GROUND_ONLY = dict(contype=0, conaffinity=0)


def sunk(half_height, gravity=G):
    """Height of a resting body's centre: its soft contact's static deflection g / omega^2 removed."""
    omega = 2 * np.pi * sp.SolverOptions().contact_frequency
    return half_height - gravity / omega**2


@pytest.fixture(scope="module", params=["jacobi", pytest.param("gauss_seidel", marks=pytest.mark.slow), NEWTON])
def flat_ground(request):
    """One world on flat ground (bodies touch only the ground, never each other), 2 s at dt 0.01;
    Jacobi (the default for models without joints) in `make test`, Gauss-Seidel in `make test-slow`."""
    world = sp.World(dt=DT, method=request.param)
    world.add_ground(friction=1.0, restitution=0.0)
    for e, mass in zip(RESTITUTIONS, DROP_MASSES):
        world.add_sphere(radius=RADIUS, mass=mass, restitution=e, position=(3 * e, 0, RADIUS + DROP_HEIGHT),
                         name=f"ball e={e}", **GROUND_ONLY)
        world.add_box(half_extents=BOX_HALF, mass=DROP_MASSES[-1] * DROP_MASSES[0] / mass, restitution=e,
                      position=(3 * e, 1, BOX_HALF[2] + DROP_HEIGHT), name=f"box e={e}", **GROUND_ONLY)
    for i, speed in enumerate((BELOW_THRESHOLD, ABOVE_THRESHOLD)):
        world.add_sphere(radius=RADIUS, mass=1.0, restitution=1.0,
                         position=(i, 2, RADIUS + speed**2 / (2 * G)), name=f"approach {speed}", **GROUND_ONLY)
    for i, mass in enumerate(IMPACT_MASSES):
        # 20 m/s covers 0.2 m per step: five starting heights put the impact at five phases of a step.
        world.add_sphere(radius=RADIUS, mass=mass, restitution=IMPACT_RESTITUTION,
                         position=(i, 3, RADIUS + 0.3 + 0.04 * i), velocity=(0, 0, -IMPACT_SPEED),
                         name=f"impact {i}", **GROUND_ONLY)
    # Effective mu = sqrt(body * ground) (Box2D mixing): body friction mu^2 on a ground of 1.
    world.add_box(half_extents=(0.1, 0.1, 0.1), mass=2.0, friction=SLIDE_MU**2, position=(0, 5, sunk(0.1)),
                  velocity=DIAGONAL_VELOCITY, name="diagonal", **GROUND_ONLY)
    world.add_box(half_extents=(0.1, 0.1, 0.1), mass=50.0, friction=0.0, position=(0, 6, sunk(0.1)),
                  velocity=DIAGONAL_VELOCITY, name="ice box", **GROUND_ONLY)
    world.add_sphere(radius=RADIUS, mass=0.05, friction=0.0, position=(0, 7, sunk(RADIUS)),
                     velocity=DIAGONAL_VELOCITY, name="ice ball", **GROUND_ONLY)
    for i, (extra, mass) in enumerate(zip(LANDING_PHASES, LANDING_MASSES)):
        world.add_box(half_extents=BOX_HALF, mass=mass, position=(i, -2, BOX_HALF[2] + DROP_HEIGHT + extra),
                      name=f"landing {i}", **GROUND_ONLY)
        world.add_sphere(radius=RADIUS, mass=mass, restitution=PHASE_RESTITUTION,
                         position=(i, -4, RADIUS + DROP_HEIGHT + extra), name=f"phase {i}", **GROUND_ONLY)
    model = world.build()
    return model, sp.simulate(model, steps=FLAT_STEPS)


def flight_energy(height, vertical_speed):
    """g h + v^2 / 2 - g dt v / 2 (J/kg): what semi-implicit Euler's free flight keeps exactly."""
    return G * height + 0.5 * vertical_speed**2 - 0.5 * G * DT * vertical_speed


def first_bounce(flat_ground, name, bottom):
    """(flight energy before the first contact J/kg, apex of the flight after it m, heights from the
    contact step on, velocities from it) of body ``name``; ``bottom`` is its centre's height above its
    lowest point."""
    model, traj = flat_ground
    index = model.body_index(name)
    height = traj.position[:, index, 2] - bottom
    vz = traj.velocity[:, index, 2]
    # The first contact impulse: the first step whose velocity rose (a speculative or bouncing row acts
    # across the gap, so a bouncing body never reaches height 0).
    touch = int(np.argmax(np.diff(vz) > 0)) + 1
    assert touch > 1, f"{name} never touched the ground"
    return flight_energy(height[0], vz[0]), height[touch:touch + 150].max(), height[touch:], vz[touch:]


@pytest.mark.parametrize("e", RESTITUTIONS[1:])
def test_sphere_bounce_apex_is_e_squared_times_drop_height(flat_ground, e):
    """Newton's law of restitution, v_out = e v_in, so the apex is e^2 h (1 m drop, 4.4 m/s impact;
    10 g to 100 kg)."""
    energy, apex, _, _ = first_bounce(flat_ground, f"ball e={e}", RADIUS)
    assert energy == pytest.approx(G * DROP_HEIGHT, rel=1e-12)
    assert apex == pytest.approx(e**2 * DROP_HEIGHT, abs=APEX_ATOL)


@pytest.mark.parametrize("index", range(len(LANDING_PHASES)))
def test_sphere_bounce_apex_holds_at_every_phase_of_the_step(flat_ground, index):
    """The same at four phases of the impact within its step (a 4.4 m/s sphere covers 44 mm a step)
    and 10 g to 100 kg: the bounce turns the sphere at its time of impact, not at the step's start."""
    _, apex, _, _ = first_bounce(flat_ground, f"phase {index}", RADIUS)
    drop = DROP_HEIGHT + LANDING_PHASES[index]
    assert apex == pytest.approx(PHASE_RESTITUTION**2 * drop, abs=APEX_ATOL)


@pytest.mark.parametrize("e", RESTITUTIONS[1:])
def test_box_bounce_apex_is_e_squared_times_drop_height(flat_ground, e, request):
    """A box landing flat on its four corners rises to e^2 h."""
    model, _ = flat_ground
    if model.solver_method == "jacobi":
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "Jacobi with mass splitting under-solves the four corner rows in 10 sweeps: v_out / v_in "
            "measured 0.079, 0.413, 0.662 for e = 0.3, 0.7, 1 (0.219, 0.413, 0.663 before the ground's "
            "speculative margin; 0.999 with 40 sweeps); Jacobi is the "
            "default ('auto') for models without joints")))
    energy, apex, _, _ = first_bounce(flat_ground, f"box e={e}", BOX_HALF[2])
    assert apex == pytest.approx(e**2 * energy / G, abs=BOX_APEX_ATOL)


def test_restitution_threshold_separates_bounce_from_rest(flat_ground):
    """An elastic sphere arriving below the 0.5 m/s restitution threshold stays on the ground;
    above it, it leaves at its impact speed (and rises to where it fell from)."""
    _, _, after, _ = first_bounce(flat_ground, f"approach {BELOW_THRESHOLD}", RADIUS)
    assert after.max() < SET_DOWN_ATOL  # set down, then never lifts off (measured: sinks to 0.4 mm, the resting sink)
    energy, apex, _, _ = first_bounce(flat_ground, f"approach {ABOVE_THRESHOLD}", RADIUS)
    assert apex == pytest.approx(energy / G, abs=APEX_ATOL)


def test_inelastic_sphere_does_not_lift_off(flat_ground):
    """e = 0: the sphere stays on the ground after its 4.4 m/s impact.  (Before the ground had a
    speculative margin and a rigid non-bouncing impact row, it left at 0.58 m/s and hopped 3.8 mm.)"""
    _, _, after, after_speed = first_bounce(flat_ground, "ball e=0.0", RADIUS)
    assert after.max() < SET_DOWN_ATOL
    assert after_speed[1:].max() < SET_DOWN_ATOL


def test_impact_at_20_m_per_s_rebounds_at_e_times_its_speed(flat_ground):
    """v_out = e v_in at 20 m/s, whatever the phase of the impact within the step (10 g to 100 kg):
    the flight after the bounce has e^2 of the energy before it."""
    for i in range(len(IMPACT_MASSES)):
        energy, apex, _, _ = first_bounce(flat_ground, f"impact {i}", RADIUS)
        assert energy == pytest.approx(0.5 * IMPACT_SPEED**2 + G * (0.3 + 0.04 * i) + 0.5 * G * DT * IMPACT_SPEED)
        assert apex == pytest.approx(IMPACT_RESTITUTION**2 * energy / G, abs=APEX_ATOL)


def test_impact_at_20_m_per_s_does_not_penetrate(flat_ground):
    """A 20 m/s sphere bounces in the step in which it would reach the ground, so it never enters
    it.  (Before the ground had a speculative margin it went 2.3-18.6 cm in.)"""
    model, traj = flat_ground
    for i in range(len(IMPACT_MASSES)):
        lowest = traj.position[:, model.body_index(f"impact {i}"), 2].min() - RADIUS
        assert -SET_DOWN_ATOL < lowest < IMPACT_SPEED * DT, f"impact {i}: lowest point {lowest * 100:.1f} cm"


@pytest.mark.parametrize("index", range(len(LANDING_PHASES)))
def test_box_landing_flat_at_4_m_per_s_does_not_sink_in(flat_ground, index, request):
    """A box (four corner candidates) landing flat at 4.4 m/s, at four phases of the step and 10 g to
    100 kg, is set down on the ground by its speculative rows: less than 1 mm deep at the step it
    lands and after it.  (Before the ground had a speculative margin: 16-45 mm at the landing step.)"""
    model, traj = flat_ground
    if model.solver_method == "jacobi":
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "Jacobi with mass splitting under-solves the four corner rows in 10 sweeps (as for the box "
            "rebound): measured 0.7-6.4 mm deep at the landing step, up to 7 mm after it, and a hop of "
            "up to 0.47 m/s")))
    name = f"landing {index}"
    height = traj.position[:, model.body_index(name), 2] - BOX_HALF[2]
    _, _, after, _ = first_bounce(flat_ground, name, BOX_HALF[2])
    assert height.min() > -BOX_LANDING_DEPTH and -after[0] < BOX_LANDING_DEPTH, f"{-height.min() * 1e3:.2f} mm"


@pytest.mark.parametrize("name", ["ice box", "ice ball"])
def test_frictionless_body_keeps_its_velocity(flat_ground, name):
    """mu = 0: no horizontal impulse, so a sliding body keeps its horizontal velocity and does not
    turn about the vertical."""
    model, traj = flat_ground
    index = model.body_index(name)
    np.testing.assert_allclose(traj.velocity[:, index, :2], np.broadcast_to(DIAGONAL_VELOCITY[:2], (FLAT_STEPS + 1, 2)),
                               rtol=0, atol=1e-12)
    assert np.abs(traj.angular_velocity[:, index, 2]).max() < 1e-12


def test_diagonal_slide_stops_on_its_line(flat_ground, request):
    """Coulomb friction opposes the sliding velocity: a box pushed diagonally stops on its line."""
    model, traj = flat_ground
    if model.solver_method != "newton":
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "box friction bound: each of the two friction rows is bounded by mu lambda_n on its own axis, "
            "so a box pushed at (1.5, 1.0) m/s on mu 0.5 stops 10.1 deg off its line (measured, Jacobi and "
            "Gauss-Seidel); newton's isotropic disc stops on it")))
    index = model.body_index("diagonal")
    travel = traj.position[-1, index, :2] - traj.position[0, index, :2]
    assert np.abs(traj.velocity[-1, index]).max() < 1e-6  # it stopped
    off = np.degrees(np.arctan2(travel[1], travel[0]) - np.arctan2(DIAGONAL_VELOCITY[1], DIAGONAL_VELOCITY[0]))
    assert abs(off) < LINE_ANGLE_LIMIT, f"stopped {off:.1f} deg off its line"
    speed = np.hypot(*DIAGONAL_VELOCITY[:2])
    assert np.hypot(*travel) == pytest.approx(speed**2 / (2 * SLIDE_MU * G), rel=0.05)


# -- incline -------------------------------------------------------------------------------------
INCLINE = np.radians(30.0)  # gravity tilted by 30 deg about y: the ground is a 30 deg slope
INCLINE_SECONDS = 1.0
# (mu, mass kg): friction angles atan(mu) 0, 16.7, 28.8 deg (slide) and 31.0, 38.7 deg (stick).
INCLINE_BOXES = ((0.0, 0.01), (0.3, 1.0), (0.55, 100.0), (0.6, 0.1), (0.8, 10.0))
# Sliding distance against the closed form: measured 2.2 mm off at mu 0.55 (Jacobi; 0.1 mm
# Gauss-Seidel), 0.8 mm at mu 0.3, 0 at mu 0 (the box rocks on its corners while it slides).
SLIDE_ATOL = 4.5e-3  # m
CREEP_LIMIT = 4e-4  # m over 1 s; measured 0.19 mm (Jacobi), 0.08 mm (Gauss-Seidel)


@pytest.fixture(scope="module", params=["jacobi", pytest.param("gauss_seidel", marks=pytest.mark.slow), NEWTON])
def incline(request):
    world = sp.World(dt=DT, gravity=(G * np.sin(INCLINE), 0, -G * np.cos(INCLINE)), method=request.param)
    world.add_ground(friction=1.0)
    for i, (mu, mass) in enumerate(INCLINE_BOXES):
        world.add_box(half_extents=BOX_HALF, mass=mass, friction=mu**2,
                      position=(0, i, sunk(BOX_HALF[2], G * np.cos(INCLINE))))
    model = world.build()
    steps = int(round(INCLINE_SECONDS / DT))
    return model, sp.simulate(model, steps=steps), steps


def test_box_on_incline_sticks_below_its_friction_angle(incline):
    """tan(theta) < mu: static friction holds the box (10 g to 10 kg) on the slope (measured creep in
    1 s: Jacobi 0.26 mm, Newton 0.20 mm; Newton's was 0.84 mm before its line search kept exact steps)."""
    _, traj, _ = incline
    for i, (mu, _) in enumerate(INCLINE_BOXES):
        if np.arctan(mu) > INCLINE:
            creep = np.linalg.norm(traj.position[-1, i] - traj.position[0, i])
            assert creep < CREEP_LIMIT, (mu, creep)


def test_box_on_incline_slides_at_closed_form_rate(incline):
    """tan(theta) > mu: the box slides down with a = g (sin theta - mu cos theta), x = a t^2 / 2
    (semi-implicit Euler: a dt^2 n (n + 1) / 2 after n steps)."""
    model, traj, steps = incline
    for i, (mu, _) in enumerate(INCLINE_BOXES):
        if np.arctan(mu) < INCLINE:
            a = G * (np.sin(INCLINE) - mu * np.cos(INCLINE))
            expected = a * DT**2 * steps * (steps + 1) / 2
            assert traj.position[-1, i, 0] - traj.position[0, i, 0] == pytest.approx(expected, abs=SLIDE_ATOL), mu
            assert abs(traj.position[-1, i, 1] - traj.position[0, i, 1]) < 1e-6  # straight down the slope


# -- convergence as dt halves -------------------------------------------------------------------
CONVERGENCE_DTS = (0.02, 0.01, 0.005, 0.0025)  # s
CONVERGENCE_SECONDS = 1.0
TUMBLER_HALF = np.array([0.3, 0.2, 0.1])  # m
TUMBLER_SPIN = np.array([0.5, 3.0, 0.4])  # rad/s, body frame, mostly about the intermediate axis
ROD_LENGTH = 0.5  # m
ROD_RELEASE = 1.0  # rad from the vertical, at rest
# Ratio of successive errors as dt halves: measured 2.013, 2.001, 1.999 (tumbler orientation) and
# 1.85, 2.03, 2.26 (pendulum angle: the soft hinge adds its own dt-dependence).
TUMBLER_RATIO = (1.97, 2.03)
PENDULUM_RATIO = (1.7, 2.4)


def convergence_world(dt):
    """A torque-free asymmetric box (gravity does not turn it) and a rod hinged to the world."""
    world = sp.World(dt=dt)
    world.add_box(half_extents=TUMBLER_HALF, mass=2.0, position=(5, 0, 0), angular_velocity=TUMBLER_SPIN)
    rod = world.add_box(half_extents=(0.02, 0.02, ROD_LENGTH / 2), mass=1.0, position=(0, 0, -ROD_LENGTH / 2))
    world.add_hinge(None, rod, anchor=(0, 0, 0), axis=(0, 1, 0))
    model = world.build()
    tilt = np.array([np.cos(ROD_RELEASE / 2), 0, np.sin(ROD_RELEASE / 2), 0])  # ROD_RELEASE about +y
    state = model.initial_state()
    position, orientation = state.position.copy(), state.orientation.copy()
    position[1] = quat_to_matrix(tilt) @ np.array([0, 0, -ROD_LENGTH / 2])
    orientation[1] = tilt
    return model, state.replace(position=position, orientation=orientation)


def euler_reference(inertia, seconds):
    """Orientation matrix after ``seconds`` of torque-free rotation (Euler's equations, rtol 1e-12)."""
    def rhs(_, y):
        w, (qw, qx, qy, qz) = y[:3], y[3:]
        p, q, r = w
        return np.concatenate([np.cross(inertia * w, w) / inertia,
                               0.5 * np.array([-qx * p - qy * q - qz * r, qw * p + qy * r - qz * q,
                                               qw * q + qz * p - qx * r, qw * r + qx * q - qy * p])])
    y = scipy.integrate.solve_ivp(rhs, (0, seconds), np.concatenate([TUMBLER_SPIN, [1, 0, 0, 0]]),
                                  rtol=1e-12, atol=1e-12).y[:, -1]
    return quat_to_matrix(y[3:] / np.linalg.norm(y[3:]))


def pendulum_reference(inertia_about_pivot, mass, seconds):
    """Angle after ``seconds`` of the rigid compound pendulum released at rest (rtol 1e-12)."""
    stiffness = mass * G * (ROD_LENGTH / 2) / inertia_about_pivot
    sol = scipy.integrate.solve_ivp(lambda _, y: [y[1], -stiffness * np.sin(y[0])], (0, seconds),
                                    [ROD_RELEASE, 0.0], rtol=1e-12, atol=1e-12)
    return sol.y[0, -1]


@pytest.mark.slow
def test_errors_shrink_at_first_order_as_dt_halves():
    """Semi-implicit Euler is first order: halving dt halves the error after 1 s, for torque-free
    tumbling (orientation against Euler's equations) and for a pendulum (angle against its ODE)."""
    tumbler_errors, pendulum_errors = [], []
    for dt in CONVERGENCE_DTS:
        model, state = convergence_world(dt)
        traj = sp.simulate(model, state, steps=int(round(CONVERGENCE_SECONDS / dt)))
        reference = euler_reference(model.body_inertia[0], CONVERGENCE_SECONDS)
        relative = quat_to_matrix(traj.orientation[-1, 0]).T @ reference
        tumbler_errors.append(np.arccos(np.clip((np.trace(relative) - 1) / 2, -1, 1)))
        down = quat_to_matrix(traj.orientation[-1, 1]) @ np.array([0, 0, -1.0])
        angle = np.arctan2(-down[0], -down[2])  # the rod's angle about +y from the vertical
        inertia = model.body_inertia[1, 1] + model.body_mass[1] * (ROD_LENGTH / 2) ** 2
        pendulum_errors.append(abs(angle - pendulum_reference(inertia, model.body_mass[1], CONVERGENCE_SECONDS)))
    for errors, (low, high) in ((tumbler_errors, TUMBLER_RATIO), (pendulum_errors, PENDULUM_RATIO)):
        ratios = np.array(errors[:-1]) / np.array(errors[1:])
        assert np.all((ratios > low) & (ratios < high)), (errors, ratios)
    assert tumbler_errors[0] < 0.01 and pendulum_errors[0] < 0.05  # rad, and small to start with


# -- mass ratios in hinged chains ----------------------------------------------------------------
LINK_HALF = 0.2  # m, half length of each link
LINK_WIDTH = 0.02  # m, half width
# (upper kg, lower kg): a light link below a heavy one and a heavy link below a light one.
CHAINS = {"1:100 light below": (10.0, 0.1), "1:100 heavy below": (0.1, 10.0),
          "1:1000 light below": (10.0, 0.01), "1:1000 heavy below": (0.01, 10.0)}
SWING = 0.05  # rad/s scale of the initial slow-mode velocities: small oscillations
CHAIN_SECONDS = 6.0
ANCHOR_LIMIT = 1e-3  # m, issue 21
# Light below: period measured 2.5e-4 (1:1000) and 3.3e-4 (1:100) off the linearized normal mode,
# anchors 0.07 mm apart, both solvers.
PERIOD_RTOL = 7e-4
HEAVY_BELOW = {  # measured (anchor separation mm, period error) per solver
    ("1:100 heavy below", "gauss_seidel"): (12.2, 0.042), ("1:1000 heavy below", "gauss_seidel"): (132, 0.28),
    ("1:100 heavy below", "jacobi"): (858, -0.82), ("1:1000 heavy below", "jacobi"): (332, -0.95),
}


def normal_modes(upper_mass, lower_mass, upper_inertia, lower_inertia):
    """Angular frequencies and mode shapes (absolute link angles) of the linearized double
    compound pendulum: two uniform links of length 2 LINK_HALF hinged end to end."""
    c, length = LINK_HALF, 2 * LINK_HALF
    mass_matrix = np.array([[upper_inertia + upper_mass * c**2 + lower_mass * length**2, lower_mass * length * c],
                            [lower_mass * length * c, lower_inertia + lower_mass * c**2]])
    stiffness = np.diag([(upper_mass * c + lower_mass * length) * G, lower_mass * c * G])
    omega2, shapes = scipy.linalg.eigh(stiffness, mass_matrix)
    return np.sqrt(omega2), shapes


@pytest.fixture(scope="module")
def chains(request):
    """The four chains side by side in one world, each started in its slow normal mode."""
    world = sp.World(dt=DT, method=request.param)
    for i, (upper_mass, lower_mass) in enumerate(CHAINS.values()):
        x = 2.0 * i
        upper = world.add_box(half_extents=(LINK_WIDTH, LINK_WIDTH, LINK_HALF), mass=upper_mass,
                              position=(x, 0, -LINK_HALF))
        lower = world.add_box(half_extents=(LINK_WIDTH, LINK_WIDTH, LINK_HALF), mass=lower_mass,
                              position=(x, 0, -3 * LINK_HALF))
        world.add_hinge(None, upper, anchor=(x, 0, 0), axis=(0, 1, 0))
        world.add_hinge(upper, lower, anchor=(x, 0, -2 * LINK_HALF), axis=(0, 1, 0))
    model = world.build()
    state = model.initial_state()
    velocity, spin, periods = state.velocity.copy(), state.angular_velocity.copy(), []
    for i in range(len(CHAINS)):
        upper, lower = 2 * i, 2 * i + 1
        omega, shapes = normal_modes(*model.body_mass[[upper, lower]], *model.body_inertia[[upper, lower], 1])
        rate_upper, rate_lower = shapes[:, 0] / np.abs(shapes[:, 0]).max() * SWING * omega[0]
        spin[upper], spin[lower] = (0, rate_upper, 0), (0, rate_lower, 0)
        velocity[upper] = np.cross(spin[upper], (0, 0, -LINK_HALF))
        velocity[lower] = np.cross(spin[upper], (0, 0, -2 * LINK_HALF)) + np.cross(spin[lower], (0, 0, -LINK_HALF))
        periods.append(2 * np.pi / omega[0])
    traj = sp.simulate(model, state.replace(velocity=velocity, angular_velocity=spin),
                       steps=int(round(CHAIN_SECONDS / DT)), check=False)
    return model, traj, periods


def chain_case(method, name):
    marks = []
    if (name, method) in HEAVY_BELOW:
        separation, period_error = HEAVY_BELOW[(name, method)]
        marks = [pytest.mark.xfail(strict=True, reason=(
            f"{method}: anchors {separation} mm apart, period {period_error:+.0%} off (measured); soft joint "
            "rows take their stiffness from their own effective mass; fixed by issue 16"))]
    return pytest.param(method, name, marks=marks, id=f"{name}-{method}")


CHAIN_CASES = [chain_case(method, name) for method in ("gauss_seidel", "jacobi", "newton") for name in CHAINS]


def chain_motion(chains, name):
    """(largest anchor separation m, mean period s, expected period s) of chain ``name``."""
    model, traj, periods = chains
    i = list(CHAINS).index(name)
    upper, lower = 2 * i, 2 * i + 1
    rotation = np.array([[quat_to_matrix(q) for q in traj.orientation[:, b]] for b in (upper, lower)])
    position = traj.position
    top = position[:, upper] + rotation[0] @ model.joint_anchor_child[upper] - model.joint_anchor_parent[upper]
    elbow = (position[:, upper] + rotation[0] @ model.joint_anchor_parent[lower]
             - position[:, lower] - rotation[1] @ model.joint_anchor_child[lower])
    separation = max(np.linalg.norm(top, axis=-1).max(), np.linalg.norm(elbow, axis=-1).max())
    axis = rotation[0] @ np.array([0, 0, 1.0])
    angle = np.arctan2(-axis[:, 0], axis[:, 2])  # upper link's angle about y
    up = np.nonzero((angle[:-1] < 0) & (angle[1:] >= 0))[0]
    crossings = (up - angle[up] / (angle[up + 1] - angle[up])) * model.dt
    period = np.diff(crossings).mean() if len(crossings) > 1 else np.inf
    return separation, period, periods[i]


@pytest.mark.slow
@pytest.mark.parametrize("chains, name", CHAIN_CASES, indirect=["chains"])
def test_hinged_chain_keeps_its_anchors_at_mass_ratio(chains, name):
    """Hinges hold their anchors within 1 mm whatever the mass ratio of the links."""
    separation, _, _ = chain_motion(chains, name)
    assert separation < ANCHOR_LIMIT, f"anchors {separation * 1e3:.1f} mm apart"


@pytest.mark.slow
@pytest.mark.parametrize("chains, name", CHAIN_CASES, indirect=["chains"])
def test_hinged_chain_swings_at_its_normal_mode_period(chains, name):
    """Started in its slow normal mode, the chain swings at that mode's period 2 pi / omega_1
    (linearized Lagrangian of two compound pendulums)."""
    _, period, expected = chain_motion(chains, name)
    assert period == pytest.approx(expected, rel=PERIOD_RTOL)


# -- float32 gradients ---------------------------------------------------------------------------
GRADIENT_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import symphys as sp
    from symphys.backend import float_context, tensor

    dtype, steps, out, literals = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    world = sp.World(dt=0.01, dtype=dtype)
    upper = world.add_box(half_extents=(0.03, 0.03, 0.2), mass=1.0, position=(0, 0, -0.2),
                          velocity=(-0.4, 0, 0), angular_velocity=(0, 2.0, 0))
    lower = world.add_capsule(radius=0.03, length=0.3, mass=0.3, position=(0, 0, -0.55),
                              velocity=(-0.65, 0, 0), angular_velocity=(0, -1.0, 0))
    world.add_hinge(None, upper, anchor=(0, 0, 0), axis=(0, 1, 0))
    elbow = world.add_hinge(upper, lower, anchor=(0, 0, -0.4), axis=(0, 1, 0), lower=-1.5, upper=1.5)
    world.add_motor(elbow, max_torque=5.0, gain=10.0)
    model = world.build()
    state = sp.symbolic_state(model)
    controls = tensor("controls", (steps, 1), dtype)
    final, _ = sp.rollout(model, state, steps, controls=controls)
    def make_loss():
        return final.position[1, 0] + 0.3 * final.position[1, 2] + 0.1 * final.angular_velocity[1, 1]
    if literals == "model":  # Python float literals in the loss take the model's dtype
        with float_context(dtype):
            loss = make_loss()
    else:  # as a user writes it: the literals are float64
        loss = make_loss()
    wrt = [state.velocity, state.angular_velocity, controls]
    fn = sp.compile(wrt, [loss] + sp.grad(loss, wrt))
    start = model.initial_state()
    values = fn(start.velocity, start.angular_velocity, np.full((steps, 1), 0.5, dtype))
    if literals == "model":
        assert all(v.dtype == np.dtype(dtype) for v in values), [v.dtype for v in values]
    np.savez(out, *values)
""")
GRADIENT_STEPS = 50
# float32 against float64 over 50 steps (double pendulum, elbow limit and servo): measured 1.25e-6
# of the largest gradient entry; float32's epsilon is 1.2e-7.
FLOAT32_GRADIENT_RTOL = 2.5e-6


def run_gradient_script(tmp_path, dtype, literals="model"):
    """Gradients from a fresh process (each dtype as a user's script would run it),
    with the symphys this process imported; ``literals``: "model" builds the loss in the model's
    float context, "python" as written (float64 literals)."""
    script = tmp_path / "gradients.py"
    script.write_text(GRADIENT_SCRIPT)
    out = tmp_path / f"{dtype}.npz"
    root = os.path.dirname(os.path.dirname(os.path.abspath(sp.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    done = subprocess.run([sys.executable, str(script), dtype, str(GRADIENT_STEPS), str(out), literals],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    with np.load(out) as values:
        return [values[k] for k in values.files]


@pytest.mark.slow
def test_float32_gradients_of_a_jointed_model_match_float64(tmp_path):
    """d loss / d (initial velocities, servo targets) of a double pendulum with a limit and a servo:
    float32 agrees with float64 to a few float32 epsilons over 50 steps."""
    single = run_gradient_script(tmp_path, "float32")
    double = run_gradient_script(tmp_path, "float64")
    assert single[0].dtype == np.float32 and double[0].dtype == np.float64
    for a, b in zip(single, double):
        scale = np.abs(b).max()
        assert scale > 1e-3  # every gradient is substantial
        np.testing.assert_allclose(a, b, rtol=0, atol=FLOAT32_GRADIENT_RTOL * scale)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "a loss written with Python floats (0.3 * x) is float64; its gradient through a float32 rollout then "
    "fails to compile: JAX TypeError 'scan body function carry input and carry output must have equal "
    "types' (float32[1,39] in, float64[1,39] out; measured, also for a free body); building the loss "
    "inside symphys.backend.float_context(dtype) works; not known to be fixed by issue 16"))
def test_float32_gradient_of_a_loss_written_with_python_floats(tmp_path):
    """A float32 model's gradient compiles whatever literals the loss uses, and matches float64."""
    single = run_gradient_script(tmp_path, "float32", literals="python")
    double = run_gradient_script(tmp_path, "float64", literals="python")
    for a, b in zip(single[1:], double[1:]):
        np.testing.assert_allclose(a, b, rtol=0, atol=FLOAT32_GRADIENT_RTOL * np.abs(b).max())
