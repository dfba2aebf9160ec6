"""Immutable model data (numpy only), simulation state and parameters.

A :class:`Model` is everything fixed for a world: sizes, index arrays,
constants.  It is baked into the graph; a new Model means a new graph.
What changes at run time, or what you may want gradients for, lives in a
:class:`State` (positions, velocities) or a :class:`Params` (masses,
friction coefficients): numpy arrays or graph variables.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from typing import Any

import numpy as np

from . import checks


class Shape(enum.IntEnum):
    SPHERE = 0
    BOX = 1
    CAPSULE = 2


class JointType(enum.IntEnum):
    BALL = 0
    HINGE = 1
    FIXED = 2


JOINT_ROWS = {JointType.BALL: 3, JointType.HINGE: 5, JointType.FIXED: 6}


METHODS = ("auto", "jacobi", "gauss_seidel", "newton")
NEWTON_GRADIENTS = ("exact", "fixed_memory")
NEWTON_MAX_BODIES = 200  # H is assembled dense, (6 N)^2 per Newton iteration and world (factorized per component)


def check_newton_supported(n_bodies: int) -> None:
    """ValueError saying why ``method="newton"`` cannot run this model, if it cannot."""
    from .backend import batched_linear_algebra_missing

    missing = batched_linear_algebra_missing()
    if missing:
        raise ValueError(f"solver method 'newton' is not available: {missing}; use 'gauss_seidel' or 'jacobi'")
    if n_bodies > NEWTON_MAX_BODIES:
        raise ValueError(f"solver method 'newton' factorizes a dense {6 * n_bodies}x{6 * n_bodies} matrix per "
                         f"iteration; {n_bodies} bodies is more than its limit of {NEWTON_MAX_BODIES}: use "
                         "'gauss_seidel' or 'jacobi'")


@dataclasses.dataclass(frozen=True)
class SolverOptions:
    """Settings of the velocity-level constraint solver.

    method: ``"jacobi"`` (projected Jacobi with mass splitting: every row is
        updated at once from the same velocities, each body's mass shared
        among its active contacts), ``"gauss_seidel"`` (graph-colored
        projected Gauss-Seidel: rows grouped so that no two rows of a group
        touch the same body; groups are solved in turn) or ``"auto"``
        (default): Jacobi for models without joints or body-body contacts (as accurate as
        Gauss-Seidel on contacts and 27x faster, benchmarks/RESULTS.md),
        Gauss-Seidel for models with joints (Jacobi's linearized sweeps
        diverge on motorized chains: arm gradients grow to 1e28 over 400
        steps, against ~1 with Gauss-Seidel) and for models with body-body
        contacts (with 10 sweeps Jacobi leaves a box resting on a box bouncing
        at 0.1 m/s; Gauss-Seidel and Newton hold it still).  ``"newton"``: Newton's method
        on the same problem written as a convex minimization over the bodies'
        velocities (MuJoCo's formulation): every row and body at once, a dense
        Cholesky of H = M + J^T D J per iteration and connected component of the
        bodies, joint/limit/motor rows nearly
        rigid (``rigid_impedance``) with drift corrected over
        ``joint_time_constant``, isotropic friction; see physics/solver_newton.py.
    iterations: fixed number of solver sweeps per time step (a fixed count
        keeps the step reverse-differentiable); Jacobi and Gauss-Seidel.
    newton_iterations: fixed number of Newton steps per time step.  16 by
        default: on the timing quadruped (236 rows; joints, limits,
        saturating servos, sliding feet) 8 left the iterates unconverged,
        spinning its feet at up to 36 rad/s and giving gradients that
        disagree with the loss's slope; 16 are within 0.12 rad/s of the
        converged solve and their gradient within 1.2 % of the slope (24:
        0.06 rad/s and 2e-4, for 1.5x the time; benchmarks/RESULTS.md,
        "Newton's iterations").
    newton_gradient: newton: how the gradient follows a rigid contact row
        (bounce, friction) whose proximal memory moves within the step.
        ``"exact"`` (default): through the memory's moves over the Newton
        iterations (each iterate differentiated implicitly at its minimum),
        the gradient of the discrete map.  ``"fixed_memory"``: the moves are
        not differentiated, so such a row is differentiated as the soft row
        of its own stiffness: relative errors of ~(1 - bound_impedance) on
        bounces and sticking contacts (3.3e-3 and 3.9e-3 measured,
        tests/test_solver_newton.py), 4x faster gradients and 2.5x faster
        compiles on the timing quadruped (RESULTS.md).  Joints, limits and motors are
        differentiated the same way under both.
    relaxation: over/under-relaxation factor applied to every row update.
    warm_start: start each step from the previous step's impulses.
    contact_frequency: natural frequency (Hz) of the soft contact spring
        (Catto 2011, "Soft Step"). The resting penetration is g / (2 pi f)^2
        (0.4 mm at 25 Hz).
    contact_damping_ratio: damping ratio of the soft contact (1 = critical).
    max_push_velocity: cap on the velocity (m/s) used to push bodies out of
        penetration.
    restitution_threshold: approach speed (m/s) at the start of a step below
        which contacts do not bounce (prevents resting bodies from jittering).
        A bounce acts at its time of impact within the step, at e times the
        speed then (physics/contact_normal.py).
    contact_margin: ground and body-body contacts (m): a contact's rows switch
        on when the gap between the surfaces is below this margin plus the
        distance they approach in one step (at the step's velocity v*).
        Across a gap the normal row is rigid and lets the gap close within the
        step and no further (speculative contact, target -gap / dt), so fast
        bodies neither sink into the ground nor pass through each other; once
        they touch it is the soft spring (physics/contact_normal.py).
    gyroscopic: include the explicit gyroscopic torque -w x (I w).
    joint_frequency, joint_damping_ratio: softness of joint and limit rows
        (Hz, ratio); 60 Hz and 1 keep anchors within a fraction of a mm.
        Jacobi and Gauss-Seidel only.
    joint_time_constant: newton: time (s) over which a joint or limit error
        is corrected (the rows' target velocity is -error / time constant,
        like MuJoCo's solref); at least 2 dt.
    rigid_impedance: newton: d in (0, 1), the share of the correction a rigid
        row (joint, limit, motor, bouncing contact) applies per step; its
        compliance is (1 - d) / d times its own J M^-1 J^T (MuJoCo's solimp).
    """

    method: str = "auto"
    iterations: int = 10
    relaxation: float = 1.0
    warm_start: bool = True
    contact_frequency: float = 25.0
    contact_damping_ratio: float = 1.0
    max_push_velocity: float = 1.0
    restitution_threshold: float = 0.5
    contact_margin: float = 0.01
    gyroscopic: bool = True
    joint_frequency: float = 60.0
    joint_damping_ratio: float = 1.0
    newton_iterations: int = 16
    newton_gradient: str = "exact"
    joint_time_constant: float = 0.02
    rigid_impedance: float = 0.9999
    bound_impedance: float = 0.999

    def __post_init__(self):
        for name, choices in (("method", METHODS), ("newton_gradient", NEWTON_GRADIENTS)):
            value = getattr(self, name)
            if value not in choices:
                raise ValueError(f"solver {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
        for name in ("iterations", "newton_iterations"):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"solver {name} must be a positive integer, got {value!r}")
        for name in ("rigid_impedance", "bound_impedance"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"solver {name} must be in (0, 1), got {getattr(self, name)!r}")
        for name in ("relaxation", "contact_frequency", "contact_damping_ratio", "max_push_velocity",
                     "joint_frequency", "joint_damping_ratio", "joint_time_constant"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"solver {name} must be positive and finite, got {value!r}")
        if not np.isfinite(self.contact_margin) or self.contact_margin < 0:
            raise ValueError(f"solver contact_margin must be >= 0 (m), got {self.contact_margin!r}")
        if not np.isfinite(self.restitution_threshold) or self.restitution_threshold < 0:
            raise ValueError(
                f"solver restitution_threshold must be >= 0, got {self.restitution_threshold!r}"
            )


def frozen_array(array, dtype=None) -> np.ndarray:
    """A read-only copy of ``array`` (as ``dtype``), for the fields of a Model."""
    out = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclasses.dataclass(frozen=True)
class State:
    """Dynamic quantities of all bodies, numpy arrays or graph variables.

    An optional leading batch axis simulates many worlds at once; a
    trajectory has a leading time axis before it.
    """

    position: Any  # (..., n_bodies, 3) m, centre of mass in world frame
    orientation: Any  # (..., n_bodies, 4) unit quaternion (w, x, y, z), body -> world
    velocity: Any  # (..., n_bodies, 3) m/s
    angular_velocity: Any  # (..., n_bodies, 3) rad/s, world frame

    def replace(self, **fields) -> State:
        return dataclasses.replace(self, **fields)

    def fields(self) -> tuple:
        return (self.position, self.orientation, self.velocity, self.angular_velocity)


@dataclasses.dataclass(frozen=True)
class Params:
    """Physical parameters that may be differentiated: numpy or graph variables.

    Per-body arrays have shape (n_bodies,) and per-motor arrays (n_motors,)
    ((0,) for a model without motors); either may instead have shape
    (batch, n_bodies) or (batch, n_motors) to give every world of a batch its
    own values.  ``model.params()`` holds the model's values; change some
    with ``model.params().replace(motor_gain=...)``.
    """

    body_mass: Any  # (n_bodies,) kg; inertia scales with it (shape fixed)
    body_friction: Any  # (n_bodies,) Coulomb coefficient
    body_restitution: Any  # (n_bodies,) in [0, 1]
    ground_friction: Any  # () Coulomb coefficient of the ground
    ground_restitution: Any  # ()
    motor_gain: Any  # (n_motors,) 1/s, > 0: a servo turns at gain * (target - angle), clipped to max speed
    motor_max_torque: Any  # (n_motors,) N m, > 0: bound on the motor's torque (impulse max_torque * dt)

    def replace(self, **fields) -> Params:
        return dataclasses.replace(self, **fields)


PARAM_FIELDS = tuple(field.name for field in dataclasses.fields(Params))
# The Params fields with one value per body or per motor (the others are scalars); each may also
# have one row per world of a batch.
PARAM_ITEMS = {"body_mass": "bodies", "body_friction": "bodies", "body_restitution": "bodies",
               "motor_gain": "motors", "motor_max_torque": "motors"}


@dataclasses.dataclass(frozen=True, eq=False)
class Model:
    """Static description of a world (numpy only). Built by ``World.build()``."""

    dt: float  # s
    gravity: np.ndarray  # (3,) m/s^2
    dtype: str
    body_names: tuple
    body_shape: np.ndarray  # (n_bodies,) Shape
    body_size: np.ndarray  # (n_bodies, 3) m: sphere (r, 0, 0); box half extents; capsule (r, half length, 0)
    body_mass: np.ndarray  # (n_bodies,) kg
    body_unit_inertia: np.ndarray  # (n_bodies, 3) principal inertia per kg, m^2 (body axes)
    body_friction: np.ndarray  # (n_bodies,)
    body_restitution: np.ndarray  # (n_bodies,)
    init_position: np.ndarray  # (n_bodies, 3)
    init_orientation: np.ndarray  # (n_bodies, 4)
    init_velocity: np.ndarray  # (n_bodies, 3)
    init_angular_velocity: np.ndarray  # (n_bodies, 3)
    has_ground: bool
    ground_height: float  # m, plane z = ground_height, normal +z
    ground_friction: float
    ground_restitution: float
    contact_body: np.ndarray  # (n_contacts,) body of each ground-contact candidate
    contact_offset: np.ndarray  # (n_contacts, 3) candidate sphere centre, body frame, m
    contact_radius: np.ndarray  # (n_contacts,) m (0 for box corners)
    solver: SolverOptions
    joint_names: tuple = ()
    joint_type: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    joint_parent: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))  # -1 = world
    joint_child: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    joint_anchor_parent: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3)))  # parent frame, m
    joint_anchor_child: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3)))  # child frame, m
    joint_axis_parent: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3)))  # unit, parent frame
    joint_axis_child: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3)))  # unit, child frame
    joint_normal_parent: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3)))  # _|_ axis
    joint_binormal_parent: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3)))
    joint_reference: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 4)))  # initial q_a^-1 q_b
    joint_lower: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))  # rad, -inf = none
    joint_upper: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))  # rad, +inf = none
    motor_names: tuple = ()
    motor_joint: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    motor_servo: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, bool))  # else velocity motor
    # motor_max_torque and motor_gain are the defaults of Params (graph inputs), not graph constants.
    motor_max_torque: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))  # N m
    motor_gain: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))  # 1/s, servo
    motor_max_speed: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))  # rad/s, servo
    # Fixed bodies (walls, tables) never move; empty = none fixed.
    body_fixed: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, bool))  # (n_bodies,)
    # Body-body contact candidates (see symphys/pairs.py): round-round, point-box and box edge crossings.
    pair_round_body: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2), np.int64))
    pair_round_half: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2)))  # m
    pair_round_radius: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2)))  # m
    pair_round_second: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, bool))  # capsule pairs
    pair_box_body: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2), np.int64))
    pair_box_offset: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 3)))  # m, body frame
    pair_box_half: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))  # m
    pair_box_radius: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))  # m
    pair_box_corner: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, bool))
    pair_edge_body: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 2), np.int64))  # box, box
    pair_edge_slot: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))  # 0-7

    @property
    def n_bodies(self) -> int:
        return len(self.body_names)

    @property
    def n_contacts(self) -> int:
        return len(self.contact_body)

    @property
    def n_pair_contacts(self) -> int:
        """Body-body contact candidates (each a normal and two friction rows)."""
        return len(self.pair_round_body) + len(self.pair_box_body) + len(self.pair_edge_body)

    @property
    def fixed_mask(self) -> np.ndarray:
        """(n_bodies,) bool: the bodies that never move."""
        return self.body_fixed if len(self.body_fixed) else np.zeros(self.n_bodies, bool)

    @property
    def n_joints(self) -> int:
        return len(self.joint_names)

    @property
    def n_motors(self) -> int:
        return len(self.motor_names)

    def __post_init__(self):
        if self.solver.method == "newton":
            check_newton_supported(self.n_bodies)

    @property
    def n_rows(self) -> int:
        """Constraint rows: 3 per ground or body-body contact candidate (normal, 2 friction),
        3/5/6 per ball/hinge/fixed joint, 2 per limited hinge, 1 per motor."""
        joints = sum(JOINT_ROWS[JointType(t)] for t in self.joint_type)
        limits = 2 * int(np.sum(np.isfinite(self.joint_lower)))
        return 3 * (self.n_contacts + self.n_pair_contacts) + joints + limits + self.n_motors

    @property
    def hinge_index(self) -> np.ndarray:
        """Joint indices of the hinges, in the order of joint sensors."""
        return np.nonzero(self.joint_type == JointType.HINGE)[0]

    @property
    def body_inertia(self) -> np.ndarray:
        """(n_bodies, 3) principal moments of inertia, kg m^2."""
        return self.body_mass[:, None] * self.body_unit_inertia

    def body_index(self, name: str) -> int:
        try:
            return self.body_names.index(name)
        except ValueError:
            raise ValueError(f"body: unknown body name {name!r}") from None

    def initial_state(self, batch: int | None = None) -> State:
        """The initial State as numpy arrays, tiled over ``batch`` worlds if given."""
        fields = (self.init_position, self.init_orientation, self.init_velocity,
                  self.init_angular_velocity)
        if batch is not None:
            batch = checks.positive_int(batch, "batch")
            fields = tuple(np.repeat(f[None], batch, axis=0) for f in fields)
        return State(*(np.array(f, dtype=self.dtype) for f in fields))

    def params(self) -> Params:
        """The model's physical parameters as numpy arrays."""
        return Params(
            body_mass=np.array(self.body_mass, dtype=self.dtype),
            body_friction=np.array(self.body_friction, dtype=self.dtype),
            body_restitution=np.array(self.body_restitution, dtype=self.dtype),
            ground_friction=np.array(self.ground_friction, dtype=self.dtype),
            ground_restitution=np.array(self.ground_restitution, dtype=self.dtype),
            motor_gain=np.array(self.motor_gain, dtype=self.dtype),
            motor_max_torque=np.array(self.motor_max_torque, dtype=self.dtype),
        )

    def param_items(self, name: str) -> tuple[str, int] | None:
        """("bodies", n_bodies) or ("motors", n_motors) for a per-item Params field, None for a scalar one."""
        items = PARAM_ITEMS.get(name)
        if items is None:
            return None
        return items, self.n_bodies if items == "bodies" else self.n_motors

    @property
    def solver_method(self) -> str:
        """The solver method in effect ("auto" resolved for this model)."""
        if self.solver.method != "auto":
            return self.solver.method
        return "gauss_seidel" if self.n_joints or self.n_pair_contacts else "jacobi"

    def with_solver(self, **options) -> Model:
        """A copy of this model with some solver options changed."""
        return dataclasses.replace(self, solver=dataclasses.replace(self.solver, **options))

    @property
    def fingerprint(self) -> str:
        """Hash of everything baked into the graph (keys the compiled-code cache).

        Initial state and :class:`Params` values are graph inputs, not part of
        the graph, so they are left out.
        """
        h = hashlib.sha1()
        for field in dataclasses.fields(self):
            if field.name.startswith("init_") or field.name in PARAM_FIELDS:
                continue
            value = getattr(self, field.name)
            if isinstance(value, np.ndarray):
                h.update(field.name.encode())
                h.update(str(value.dtype).encode())
                h.update(str(value.shape).encode())
                h.update(np.ascontiguousarray(value).tobytes())
            else:
                h.update(f"{field.name}={value!r}".encode())
        return h.hexdigest()[:16]


__all__ = ["Shape", "JointType", "SolverOptions", "State", "Params", "Model", "PARAM_FIELDS", "PARAM_ITEMS"]
