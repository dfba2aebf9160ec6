"""The paper's quadruped (28.7 kg) and a hand-tuned open-loop trot.

A torso box (0.7 x 0.3 x 0.1 m, 21 kg) on four legs; each leg is a femur
(0.2 m, 1.1 kg) and a tibia (0.15 m, 0.825 kg) whose lower end sphere is
the foot.  Hips and knees are hinges about the torso's y axis (pitch),
limited to +-45 deg and driven by position servos of 4 N m.  Every torso
corner and every leg segment's end spheres touch the ground.  dt = 5 ms as
in the original.  Legs in the initial pose hang straight down; the feet
start on the ground.

Leg order: front left, front right, rear left, rear right; motors in that
order, hip then knee.
"""

from __future__ import annotations

import numpy as np

import symphys as sp

DT = 0.005
TORSO = (0.35, 0.15, 0.05)  # m, half extents
TORSO_MASS = 21.0  # kg
FEMUR, TIBIA = 0.2, 0.15  # m, joint-to-joint and knee-to-sole lengths
FEMUR_MASS, TIBIA_MASS = 1.1, 0.825  # kg
LEG_RADIUS = 0.03  # m, also the foot's radius
MAX_TORQUE = 4.0  # N m
LIMIT = np.radians(45.0)
SERVO_GAIN = 30.0  # 1/s
MAX_SPEED = 2 * np.pi  # rad/s
LEGS = (("front_left", 0.3, 0.15), ("front_right", 0.3, -0.15),
        ("rear_left", -0.3, 0.15), ("rear_right", -0.3, -0.15))
GAIT_FREQUENCY = 1.5  # Hz
HIP_HEIGHT = FEMUR + TIBIA  # m, hips above the ground when the legs hang straight
# Joint and limit rows' softness (Hz).  A soft row's stiffness scales with its
# effective mass, here the light leg segment's, while the 21 kg torso loads
# it: at the default 60 Hz a hip folding under the torso overshoots its limit
# by 9 deg and rests 2.5 deg beyond it; at 140 Hz by 3.3 and 0.5 deg (colored
# Gauss-Seidel, 10 sweeps).  At 200 Hz the standing legs jitter (0.09 m/s).
JOINT_FREQUENCY = 140.0


# The body parts touch the ground only (MuJoCo's contype 0, conaffinity 1, as quadruped.xml): the legs
# cannot reach each other, and 36 body-body candidates would add 108 rows to every Gauss-Seidel sweep.
GROUND_ONLY = dict(contype=0, conaffinity=1)


def build_model(dt: float = DT, friction: float = 1.0, max_torque: float = MAX_TORQUE, **solver) -> sp.Model:
    """The quadruped; max_torque (N m) is every servo's torque limit (the paper's robot: 4)."""
    world = sp.World(dt=dt, **{"joint_frequency": JOINT_FREQUENCY, **solver})
    world.add_ground(friction=friction)
    torso_z = HIP_HEIGHT + TORSO[2]
    torso = world.add_box(half_extents=TORSO, mass=TORSO_MASS, position=(0, 0, torso_z), name="torso",
                          **GROUND_ONLY)
    for name, x, y in LEGS:
        femur = world.add_capsule(radius=LEG_RADIUS, length=FEMUR - 2 * LEG_RADIUS, mass=FEMUR_MASS,
                                  position=(x, y, HIP_HEIGHT - FEMUR / 2), name=f"{name}_femur", **GROUND_ONLY)
        tibia = world.add_capsule(radius=LEG_RADIUS, length=TIBIA - 2 * LEG_RADIUS, mass=TIBIA_MASS,
                                  position=(x, y, TIBIA / 2), name=f"{name}_tibia", **GROUND_ONLY)
        hip = world.add_hinge(torso, femur, anchor=(x, y, HIP_HEIGHT), axis=(0, 1, 0), lower=-LIMIT,
                              upper=LIMIT, name=f"{name}_hip")
        knee = world.add_hinge(femur, tibia, anchor=(x, y, TIBIA), axis=(0, 1, 0), lower=-LIMIT,
                               upper=LIMIT, name=f"{name}_knee")
        for joint in (hip, knee):
            world.add_motor(joint, max_torque=max_torque, gain=SERVO_GAIN, max_speed=MAX_SPEED)
    return world.build()


def trot(times, hip_amplitude: float = 0.35, knee_amplitude: float = 0.35, frequency: float = GAIT_FREQUENCY,
         knee_lag: float = np.pi / 2) -> np.ndarray:
    """Hand-tuned open-loop trot: servo targets (len(times), 8) rad.

    Diagonal legs move together (front left with rear right); each knee
    follows its hip a quarter period later and only bends one way (lifting
    the foot on the swing).
    """
    phase = 2 * np.pi * frequency * np.asarray(times, dtype=float)[:, None]
    leg_phase = np.array([0.0, np.pi, np.pi, 0.0])[None, :]
    hip = hip_amplitude * np.sin(phase + leg_phase)
    knee = knee_amplitude * np.maximum(np.sin(phase + leg_phase + knee_lag), 0.0)
    return np.stack([hip, knee], axis=-1).reshape(len(hip), 8)


def forward_velocity(model: sp.Model, trajectory) -> float:
    """Mean forward (x) velocity of the torso over the trajectory (m/s)."""
    x = np.asarray(trajectory.position)[..., model.body_index("torso"), 0]
    return float((x[-1] - x[0]) / ((x.shape[0] - 1) * model.dt))


def demo_trajectory(seconds: float = 4.0):
    """The hand-tuned trot from rest for ``seconds`` s as a viewer Trajectory (``symphys view --model quadruped``).

    Prints the torso's mean forward velocity (m/s).
    """
    from symphys import viewer

    model = build_model()
    steps = max(1, int(round(seconds / model.dt)))
    controls = sp.backend.pt.matrix("controls")
    _, trajectory = sp.rollout(model, sp.symbolic_state(model), steps, controls=controls)
    simulate = sp.compile([controls], trajectory)
    trajectory = simulate(trot(np.arange(steps) * model.dt))
    sp.check_finite(model, trajectory)
    print(f"quadruped: hand-tuned trot, {seconds:g} s, mean forward velocity "
          f"{forward_velocity(model, trajectory):.3f} m/s")
    return viewer.from_model(model, trajectory, title="quadruped: hand-tuned trot")
