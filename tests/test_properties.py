"""Laws that hold for every input, checked by hypothesis on random initial states and parameters.

- momentum in free flight without gravity: the linear momentum of a jointed chain is constant;
  its angular momentum changes only by what the integrator's explicit gyroscopic torque and the
  soft joints' anchor separation account for (joint impulses are equal and opposite, applied at
  the anchors), to round-off;
- energy without contact: free bodies' energy changes exactly as semi-implicit Euler with the
  explicit gyroscopic torque says; jointed chains never gain energy beyond that;
- symmetry: rotating the whole world (every initial state and gravity) rotates the trajectory;
- worlds of a batch (contacts, joints, per-world masses, friction and restitution) do not interact:
  a world gives the same trajectory whatever its companions and its slot.

Shapes are compiled, states and parameters are inputs: each model is compiled once and hypothesis
draws only numbers.  `make test` runs 10 reproducible examples per property;
SYMPHYS_PROPERTY_EXAMPLES=200 (suggested `make fuzz` target) runs 200 random ones.
"""

import os

import numpy as np
import pytest
from conftest import G
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import symphys as sp
from symphys.backend import tensor
from symphys.rotations import quat_to_matrix

FUZZ = "SYMPHYS_PROPERTY_EXAMPLES" in os.environ
PROPERTY = settings(
    max_examples=int(os.environ.get("SYMPHYS_PROPERTY_EXAMPLES", "10")),
    deadline=None,  # the first example of a module pays the compile
    derandomize=not FUZZ,  # `make test`: the same examples on every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

DT = 0.01  # s
FLIGHT_STEPS = 100  # 1 s
GRAVITY = np.array([0.0, 0.0, -G])
MIXED = slice(0, 4)  # capsule -ball- box -hinge- box -fixed- sphere; no joint to the world
SPHERES = slice(4, 7)  # sphere -ball- sphere -hinge- sphere
FREE = slice(7, 9)  # a box and a capsule, unjointed
CHAINS = (MIXED, SPHERES)
N_BODIES = 9
# Round-off over 100 steps: laws that hold exactly in exact arithmetic are checked to 1e-12 of
# their scale (measured: momentum 2e-15, angular momentum identity 1e-14, energy identities
# 1e-15, rotated free bodies 1e-14, chain energy 0 above its bound).
ROUND_OFF = 1e-12
# A world in two batches, at two slots: measured bit-identical over 100 random pairs; 1e-12 (m, m/s,
# rad/s) leaves room for a platform that vectorizes slots differently.
BATCH_ATOL = 1e-12


def quat_multiply(a, b):
    aw, av = a[..., :1], a[..., 1:]
    bw, bv = b[..., :1], b[..., 1:]
    return np.concatenate([aw * bw - np.sum(av * bv, -1, keepdims=True),
                           aw * bv + bw * av + np.cross(av, bv)], -1)


def rotation_matrices(orientation):
    """(..., 3, 3) rotation matrices of unit quaternions (..., 4)."""
    flat = orientation.reshape(-1, 4)
    return np.array([quat_to_matrix(q) for q in flat]).reshape(*orientation.shape[:-1], 3, 3)


APART = dict(contype=0, conaffinity=0)  # the chains' links overlap at their joints: no body contacts


@pytest.fixture(scope="module")
def flight():
    """Nine bodies in the air (no ground; gravity (0, 0, -g) in the model, the wrench an input):
    two chains (no joint to the world) and two free bodies.  Returns (model, compiled
    (position, orientation, velocity, angular velocity, masses, wrench) -> trajectory)."""
    world = sp.World(dt=DT, gravity=GRAVITY)
    along_x = (np.cos(np.pi / 4), 0, np.sin(np.pi / 4), 0)
    links = [world.add_capsule(radius=0.05, length=0.3, mass=1.0, position=(0, 0, 0), orientation=along_x,
                               **APART),
             world.add_box(half_extents=(0.15, 0.04, 0.04), mass=2.0, position=(0.35, 0, 0), **APART),
             world.add_box(half_extents=(0.1, 0.05, 0.03), mass=0.5, position=(0.6, 0, 0), **APART),
             world.add_sphere(radius=0.06, mass=0.3, position=(0.76, 0, 0), **APART)]
    world.add_ball_joint(links[0], links[1], anchor=(0.2, 0, 0))
    world.add_hinge(links[1], links[2], anchor=(0.5, 0, 0), axis=(0, 1, 1))
    world.add_fixed(links[2], links[3])
    balls = [world.add_sphere(radius=0.1, mass=1.0, position=(0.2 * i, -2, 0), **APART) for i in range(3)]
    world.add_ball_joint(balls[0], balls[1], anchor=(0.1, -2, 0))
    world.add_hinge(balls[1], balls[2], anchor=(0.3, -2, 0), axis=(1, 1, 0))
    world.add_box(half_extents=(0.3, 0.2, 0.1), mass=3.0, position=(0, 2, 0), **APART)
    world.add_capsule(radius=0.1, length=0.4, mass=1.5, position=(0, 4, 0), orientation=(0.9, 0.3, 0.1, 0.3),
                      **APART)
    model = world.build()
    assert model.n_bodies == N_BODIES
    state = sp.symbolic_state(model)
    params = sp.symbolic_params(model)
    wrench = tensor("wrench", (FLIGHT_STEPS, model.n_bodies, 6), model.dtype)
    _, trajectory = sp.rollout(model, state, FLIGHT_STEPS, params, wrench=wrench)
    return model, sp.compile([*state.fields(), params.body_mass, wrench], trajectory)


def fly(flight, velocity, spin, mass, force=None, rotation=None):
    """Trajectory from the model's initial pose (turned by unit quaternion ``rotation``) with the
    given velocities and masses, and a constant force (N) per body on top of the model's gravity."""
    model, fn = flight
    start = model.initial_state()
    position, orientation = start.position, start.orientation
    if rotation is not None:
        position = position @ quat_to_matrix(rotation).T
        orientation = quat_multiply(rotation[None], orientation)
    wrench = np.zeros((FLIGHT_STEPS, model.n_bodies, 6))
    if force is not None:
        wrench[:, :, :3] = force
    return fn(position, orientation, velocity, spin, mass, wrench)


def inertia_tensors(model, mass, rotation):
    """(t, n, 3, 3) world-frame inertia tensors."""
    return np.einsum("tnij,nj,tnkj->tnik", rotation, mass[:, None] * model.body_unit_inertia, rotation)


def gyroscopic_torque(inertia, spin):
    return -np.cross(spin, np.einsum("tnij,tnj->tni", inertia, spin))


def vectors(n, scale):
    return arrays(np.float64, (n, 3), elements=st.floats(-scale, scale))


masses = arrays(np.float64, N_BODIES, elements=st.floats(np.log(0.1), np.log(10.0))).map(np.exp)  # 0.1-10 kg
rotations = arrays(np.float64, 4, elements=st.floats(-1, 1)).filter(lambda q: np.linalg.norm(q) > 0.2).map(
    lambda q: q / np.linalg.norm(q))


@PROPERTY
@given(velocity=vectors(N_BODIES, 2.0), spin=vectors(N_BODIES, 4.0), mass=masses)
def test_momentum_is_conserved_in_free_flight(flight, velocity, spin, mass):
    """No external force (the model's gravity cancelled by an equal and opposite wrench), random
    joint-violating velocities, masses 0.1-10 kg: joint impulses are internal.  The linear momentum
    of each chain is constant.  Its angular momentum L changes by exactly
        sum over bodies of (I_(k+1) - I_k) w_(k+1) + dt tau_gyro   (explicit gyroscopic step)
      + sum over joints of (p_child - p_parent) x lambda          (soft anchors apart),
    lambda the joint's impulse on its child, p the anchors at the start of the step."""
    model, _ = flight
    traj = fly(flight, velocity, spin, mass, force=-mass[:, None] * GRAVITY)
    rotation = rotation_matrices(traj.orientation)
    inertia = inertia_tensors(model, mass, rotation)
    w, v, x = traj.angular_velocity, traj.velocity, traj.position
    impulse = mass[:, None] * np.diff(v, axis=0)  # (t, n, 3) each body's impulse per step

    def anchor(local, body):
        """World position of a body-frame anchor at the start of each step."""
        return x[:-1, body] + rotation[:-1, body] @ local

    for chain in CHAINS:
        bodies = np.arange(chain.start, chain.stop)
        linear = (mass[bodies, None] * v[:, bodies]).sum(1)
        scale = np.abs(mass[bodies, None] * v[:, bodies]).sum((1, 2)).max()
        assert np.abs(linear - linear[0]).max() <= ROUND_OFF * scale
        spin_momentum = np.einsum("tnij,tnj->tni", inertia[:, bodies], w[:, bodies])
        angular = (np.cross(x[:, bodies], mass[bodies, None] * v[:, bodies]) + spin_momentum).sum(1)
        explained = ((np.einsum("tnij,tnj->tni", inertia[1:, bodies] - inertia[:-1, bodies], w[1:, bodies])
                      + DT * gyroscopic_torque(inertia[:-1, bodies], w[:-1, bodies])).sum(1))
        for joint in np.nonzero(np.isin(model.joint_child, bodies))[0]:
            parent, child = model.joint_parent[joint], model.joint_child[joint]
            on_child = impulse[:, child:chain.stop].sum(1)  # joints run down the chain: the subtree's impulse
            apart = anchor(model.joint_anchor_child[joint], child) - anchor(model.joint_anchor_parent[joint], parent)
            explained += np.cross(apart, on_child)
        angular_scale = np.linalg.norm(spin_momentum, axis=-1).sum(1).max() + np.linalg.norm(
            np.cross(x[:, bodies], mass[bodies, None] * v[:, bodies]), axis=-1).sum(1).max()
        np.testing.assert_allclose(np.diff(angular, axis=0), explained, rtol=0, atol=ROUND_OFF * angular_scale)


@PROPERTY
@given(velocity=vectors(N_BODIES, 2.0), spin=vectors(N_BODIES, 4.0), mass=masses)
def test_energy_without_contact_changes_only_as_the_integrator_says(flight, velocity, spin, mass):
    """Free bodies in gravity: semi-implicit Euler changes the translational energy by exactly
    -m |g|^2 dt^2 / 2 per step, the explicit gyroscopic torque tau = -w x I w the rotational energy
    by +dt^2 tau . I^-1 tau / 2 per step (w . tau = 0); nothing else changes it.  Jointed chains
    (soft, damped joints, no motors) never gain energy beyond that gyroscopic term."""
    model, _ = flight
    traj = fly(flight, velocity, spin, mass)
    inertia = inertia_tensors(model, mass, rotation_matrices(traj.orientation))
    w = traj.angular_velocity
    rotational = 0.5 * np.einsum("tni,tnij,tnj->tn", w, inertia, w)
    translational = 0.5 * mass * np.sum(traj.velocity**2, -1) - mass * (traj.position @ GRAVITY)
    tau = gyroscopic_torque(inertia, w)
    gyroscopic_gain = 0.5 * DT**2 * np.einsum("tni,tni->tn", tau, np.linalg.solve(inertia, tau[..., None])[..., 0])
    gained = np.concatenate([np.zeros((1, N_BODIES)), np.cumsum(gyroscopic_gain[:-1], axis=0)])
    steps = np.arange(FLIGHT_STEPS + 1)
    # Energy scale: kinetic energy plus the potential energy of falling for 1 s.
    scale = rotational[0] + 0.5 * mass * np.sum(velocity**2, -1) + mass * G**2
    for b in range(FREE.start, FREE.stop):
        np.testing.assert_allclose(rotational[:, b], rotational[0, b] + gained[:, b], rtol=0,
                                   atol=ROUND_OFF * scale[b])
        np.testing.assert_allclose(translational[:, b], translational[0, b] - 0.5 * mass[b] * G**2 * DT**2 * steps,
                                   rtol=0, atol=ROUND_OFF * scale[b])
    for chain in CHAINS:
        energy = (rotational + translational)[:, chain].sum(1)
        assert np.all(energy <= energy[0] + gained[:, chain].sum(1) + ROUND_OFF * scale[chain].sum())


def turned_and_base(flight, velocity, spin, rotation):
    """Trajectories of the world and of the world turned by ``rotation`` (its gravity R g: the
    model's g plus the wrench m (R g - g)), the base one turned for comparison."""
    model, _ = flight
    mass = model.body_mass
    matrix = quat_to_matrix(rotation)
    base = fly(flight, velocity, spin, mass)
    turned = fly(flight, velocity @ matrix.T, spin @ matrix.T, mass, force=mass[:, None] * (matrix @ GRAVITY - GRAVITY),
                 rotation=rotation)
    expected = base.replace(position=base.position @ matrix.T, velocity=base.velocity @ matrix.T,
                            angular_velocity=base.angular_velocity @ matrix.T,
                            orientation=quat_multiply(rotation[None, None], base.orientation))
    return turned, expected


def symmetry_errors(turned, expected, bodies, steps):
    """Largest differences of position, velocity and angular velocity, each relative to its own
    scale, and of orientation (1 - |q1 . q2|)."""
    errors = []
    for name in ("position", "velocity", "angular_velocity"):
        a, b = getattr(turned, name)[:steps, bodies], getattr(expected, name)[:steps, bodies]
        errors.append(np.abs(a - b).max() / (np.abs(b).max() + 1e-3))
    dot = np.sum(turned.orientation[:steps, bodies] * expected.orientation[:steps, bodies], -1)
    errors.append(np.abs(1 - np.abs(dot)).max())
    return np.array(errors)


@PROPERTY
@given(velocity=vectors(N_BODIES, 2.0), spin=vectors(N_BODIES, 4.0), rotation=rotations)
def test_rotating_the_world_rotates_free_bodies(flight, velocity, spin, rotation):
    """Turn every initial state and gravity by R: free bodies' positions, velocities and angular
    velocities follow R, their orientations q_R q (gyroscopic and gravity terms are covariant)."""
    turned, expected = turned_and_base(flight, velocity, spin, rotation)
    assert np.all(symmetry_errors(turned, expected, FREE, FLIGHT_STEPS + 1) < ROUND_OFF)


@pytest.mark.xfail(strict=True, reason=(
    "joint rows run along the world axes and each soft row takes its stiffness from its own effective "
    "mass, so the soft solution depends on the world's orientation: after one step from joint-violating "
    "velocities the turned chain is 1.1-2.2 mm off (measured; 0.5 m after 1 s; also with 1000 sweeps, "
    "so not a convergence effect); fixed by issue 16"))
@settings(PROPERTY, phases=[Phase.generate])  # expected to fail: no shrinking
@given(velocity=vectors(N_BODIES, 2.0), spin=vectors(N_BODIES, 4.0), rotation=rotations)
def test_rotating_the_world_rotates_jointed_chains(flight, velocity, spin, rotation):
    """The same for the two chains, over their first 10 steps."""
    turned, expected = turned_and_base(flight, velocity, spin, rotation)
    for chain in CHAINS:
        assert np.all(symmetry_errors(turned, expected, chain, 11) < ROUND_OFF)


# -- worlds of a batch ---------------------------------------------------------------------------
BATCH = 3
BATCH_STEPS = 60
N_GROUND_BODIES = 5


@pytest.fixture(scope="module")
def ground_scene():
    """Contacts and joints: a sphere, a box and a capsule dropped on the ground and a limited hinged
    pair of boxes lying on it.  Returns the compiled (velocity, angular velocity, masses, friction,
    restitution), each with a leading batch axis of BATCH worlds, -> trajectory."""
    world = sp.World(dt=DT)
    world.add_ground(friction=0.8, restitution=0.2)
    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 0.15))
    world.add_box(half_extents=(0.1, 0.15, 0.05), mass=2.0, position=(1, 0, 0.1))
    world.add_capsule(radius=0.05, length=0.3, mass=0.5, position=(2, 0, 0.1),
                      orientation=(np.cos(np.pi / 4), 0, np.sin(np.pi / 4), 0))
    left = world.add_box(half_extents=(0.15, 0.05, 0.05), mass=1.0, position=(3, 0, 0.06))
    right = world.add_box(half_extents=(0.15, 0.05, 0.05), mass=1.0, position=(3.3, 0, 0.06))
    world.add_hinge(left, right, anchor=(3.15, 0, 0.06), axis=(0, 1, 0), lower=-0.5, upper=0.5)
    model = world.build()
    assert model.n_bodies == N_GROUND_BODIES
    state = sp.symbolic_state(model, BATCH)
    params = sp.symbolic_params(model, BATCH)
    _, trajectory = sp.rollout(model, state, BATCH_STEPS, params)
    return sp.compile([state.velocity, state.angular_velocity, params.body_mass, params.body_friction,
                       params.body_restitution], trajectory)


WORLDS = 5  # a, b, c, d, e: batches (a, b, c) and (d, a, e)


def per_world(shape, low, high):
    return arrays(np.float64, (WORLDS, *shape), elements=st.floats(low, high))


@PROPERTY
@given(velocity=per_world((N_GROUND_BODIES, 3), -2, 2), spin=per_world((N_GROUND_BODIES, 3), -5, 5),
       mass=per_world((N_GROUND_BODIES,), np.log(0.1), np.log(10.0)).map(np.exp),
       friction=per_world((N_GROUND_BODIES,), 0, 1), restitution=per_world((N_GROUND_BODIES,), 0, 1))
def test_worlds_of_a_batch_do_not_interact(ground_scene, velocity, spin, mass, friction, restitution):
    """A world (random state, masses, friction and restitution) gives the same trajectory in a batch
    with other random worlds, whatever they are and whatever its slot: (a, b, c) and (d, a, e).
    (A batch against unbatched runs: test_batch_backends.py.)"""
    worlds = [velocity, spin, mass, friction, restitution]
    first = ground_scene(*(w[[0, 1, 2]] for w in worlds))
    second = ground_scene(*(w[[3, 0, 4]] for w in worlds))
    for a, b in zip(first.fields(), second.fields()):
        np.testing.assert_allclose(a[:, 0], b[:, 1], rtol=0, atol=BATCH_ATOL)
