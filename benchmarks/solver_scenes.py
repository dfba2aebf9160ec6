"""Scenes that tell the solvers apart, shared by benchmarks/solver_comparison.py, benchmarks/newton_iterations.py
and tests/test_solver_newton.py.

Each builder returns a Model (and, where one exists, the closed-form figure to compare with); the caller
simulates it, so tests and benchmarks choose their own steps, parameters and checks.
"""

from __future__ import annotations

import numpy as np

G = 9.81  # m/s^2
PENDULUM_DT = 0.005  # s
ROD_HALF_WIDTH = 0.01  # m, half the side of the composite pendulum's square rod
SERVO_TARGET = 0.5  # rad, the largest of the timing quadruped's constant servo targets (servo_run)


def crossing_period(x, dt):
    """Mean time (s) between successive downward zero crossings of x (linear interpolation)."""
    s = np.sign(x)
    index = np.nonzero((s[:-1] > 0) & (s[1:] <= 0))[0]
    return np.mean(np.diff((index + x[index] / (x[index] - x[index + 1])) * dt))


def ball_joint_pendulum(method, bob_mass=1.0, bob_radius=0.05, lever=1.0, angle=0.1):
    """A sphere hanging ``lever`` m below a ball joint at the origin, started ``angle`` rad out.

    Returns (model, small-angle period of the rigid pendulum in s).
    """
    import symphys as sp

    world = sp.World(dt=PENDULUM_DT, method=method)
    position = (lever * np.sin(angle), 0, -lever * np.cos(angle))
    bob = world.add_sphere(radius=bob_radius, mass=bob_mass, position=position)
    world.add_ball_joint(None, bob, anchor=(0, 0, 0))
    return world.build(), 2 * np.pi * np.sqrt((0.4 * bob_radius**2 + lever**2) / (G * lever))


def composite_pendulum(method, bob_radius, lever, angle=0.1):
    """A rod-like box hinged at the world origin with a sphere FIXED to its far end: one rigid body.

    Rod and bob weigh 1 kg each; set other masses through Params (one compile per shape).
    """
    import symphys as sp

    world = sp.World(dt=PENDULUM_DT, method=method)
    direction = np.array([np.sin(angle), 0.0, -np.cos(angle)])
    orientation = (np.cos(angle / 2), 0.0, np.sin(angle / 2), 0.0)  # about y: the rod's axis along direction
    link = world.add_box(half_extents=(ROD_HALF_WIDTH, ROD_HALF_WIDTH, lever / 2), mass=1.0,
                         position=direction * lever / 2, orientation=orientation)
    bob = world.add_sphere(radius=bob_radius, mass=1.0, position=direction * lever)
    world.add_hinge(None, link, anchor=(0, 0, 0), axis=(0, 1, 0))
    world.add_fixed(link, bob)
    return world.build()


def rigid_period(link_mass, bob_mass, bob_radius, lever):
    """Small-angle period (s) of the composite pendulum as one rigid body: 2 pi sqrt(I_pivot / (m g d))."""
    rod_inertia = link_mass * (lever**2 / 3 + (2 * ROD_HALF_WIDTH) ** 2 / 12)
    bob_inertia = bob_mass * (0.4 * bob_radius**2 + lever**2)
    centre = (link_mass * lever / 2 + bob_mass * lever) / (link_mass + bob_mass)
    return 2 * np.pi * np.sqrt((rod_inertia + bob_inertia) / ((link_mass + bob_mass) * G * centre))


def pushed_quadruped_angles(method, seconds=3.0, **solver):
    """Hinge angles (rad, (steps + 1, 8)) of the 9-body quadruped with servos of no torque, every body
    pushed forward at 1 m/s: its 21 kg torso folds the legs onto their 45 deg stops."""
    import symphys as sp
    from symphys_models import quadruped

    model = quadruped.build_model(method=method, max_torque=1e-9, **solver)
    state = model.initial_state()
    state = state.replace(velocity=state.velocity + np.array([1.0, 0.0, 0.0]))
    symbolic = sp.symbolic_state(model)
    _, trajectory = sp.rollout(model, symbolic, int(round(seconds / model.dt)))
    return sp.compile([symbolic.velocity], [sp.joint_angles(model, trajectory)])(state.velocity)[0]


def quadruped_servo_targets(n_motors, seed=1):
    """Constant servo targets (rad), uniform in +-SERVO_TARGET (seeded)."""
    return SERVO_TARGET * np.random.default_rng(seed).uniform(-1, 1, n_motors)


def servo_run(model, steps, targets):
    """(velocity, angular velocity) (steps + 1, N, 3) of ``model`` from rest with constant servo targets."""
    import symphys as sp

    state = sp.symbolic_state(model)
    _, trajectory = sp.rollout(model, state, steps, controls=np.tile(targets, (steps, 1)))
    fn = sp.compile([state.position], [trajectory.velocity, trajectory.angular_velocity])
    return [np.asarray(x) for x in fn(model.initial_state().position)]


def tumbling_robot(method):
    """Three boxes (5 kg, 0.5 kg, 50 g) chained by a limited hinge and a ball joint, thrown spinning onto
    the ground from 1 m, no motors (dt 0.01)."""
    import symphys as sp

    world = sp.World(dt=0.01, method=method)
    world.add_ground(friction=0.8)
    a = world.add_box(half_extents=(0.2, 0.1, 0.05), mass=5.0, position=(0, 0, 1.0), velocity=(1, 0.5, 0),
                      angular_velocity=(2, -3, 1))
    b = world.add_box(half_extents=(0.15, 0.05, 0.05), mass=0.5, position=(0.35, 0, 1.0))
    c = world.add_box(half_extents=(0.15, 0.05, 0.05), mass=0.05, position=(0.65, 0, 1.0))
    world.add_hinge(a, b, anchor=(0.2, 0, 1.0), axis=(0, 1, 0), lower=-1.0, upper=1.0)
    world.add_ball_joint(b, c, anchor=(0.5, 0, 1.0))
    return world.build()


def total_energy(model, trajectory):
    """Kinetic + potential energy (J) of all bodies, per time step."""
    from symphys.rotations import quat_to_matrix

    body_omega = np.einsum("tnji,tnj->tni", quat_to_matrix(trajectory.orientation), trajectory.angular_velocity)
    kinetic = 0.5 * np.sum(model.body_mass * np.sum(trajectory.velocity**2, axis=-1), axis=-1)
    kinetic += 0.5 * np.sum(np.sum(model.body_inertia * body_omega**2, axis=-1), axis=-1)
    return kinetic + np.sum(model.body_mass * G * trajectory.position[..., 2], axis=-1)


def diagonal_slide(method, mu=0.5, velocity=(1.5, 1.0, 0.0), dt=0.01):
    """A 20 cm, 1 kg box resting on ground of friction ``mu``, pushed at ``velocity`` m/s."""
    import symphys as sp

    world = sp.World(dt=dt, method=method)
    world.add_ground(friction=mu)
    world.add_box(half_extents=(0.1, 0.1, 0.1), mass=1.0, position=(0, 0, 0.0996), velocity=velocity, friction=mu)
    return world.build()
