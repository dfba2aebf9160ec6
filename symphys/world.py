"""World builder: declare bodies and the ground, validate, build a Model.

Every argument is checked where it is given; a bad one raises ValueError
naming it, long before any graph exists.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from . import checks, pairs, shapes
from .model import JointType, Model, Shape, SolverOptions, check_newton_supported, frozen_array
from .rotations import quat_multiply, quat_to_matrix

DEFAULT_DENSITY = 1000.0  # kg/m^3, water; used when neither mass nor density is given
_WORLD_IDS = itertools.count(1)  # each World's id, carried by its handles


@dataclasses.dataclass(frozen=True)
class Body:
    """Handle to a body added to a World; ``index`` addresses State arrays."""

    index: int
    name: str
    shape: Shape
    world_id: int = dataclasses.field(default=0, repr=False)  # the World that made it


@dataclasses.dataclass(frozen=True)
class Joint:
    """Handle to a joint; ``index`` addresses joint arrays of the Model."""

    index: int
    name: str
    type: JointType
    world_id: int = dataclasses.field(default=0, repr=False)


@dataclasses.dataclass(frozen=True)
class Motor:
    """Handle to a motor; ``index`` addresses the columns of motor controls."""

    index: int
    name: str
    joint: Joint
    world_id: int = dataclasses.field(default=0, repr=False)


def _perpendiculars(axis: np.ndarray):
    """Two unit vectors completing ``axis`` to a right-handed orthonormal basis."""
    helper = np.eye(3)[int(np.argmin(np.abs(axis)))]
    normal = np.cross(axis, helper)
    normal /= np.linalg.norm(normal)
    return normal, np.cross(axis, normal)


def _unit_quaternion(value, name: str = "orientation") -> np.ndarray:
    q = checks.vector(value, 4, name)
    norm = float(np.linalg.norm(q))
    if norm < 1e-9:
        raise ValueError(f"{name} must be a nonzero quaternion (w, x, y, z), got {q.tolist()}")
    return q / norm


def _contact_candidates(shape: Shape, size: np.ndarray):
    """Ground-contact candidate spheres (body-frame centre, radius) of a shape."""
    if shape == Shape.SPHERE:
        return [(np.zeros(3), size[0])]
    if shape == Shape.BOX:
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        return [(s * size, 0.0) for s in signs]
    r, h = size[0], size[1]
    return [(np.array([0.0, 0.0, -h]), r), (np.array([0.0, 0.0, h]), r)]


def _solver_options(options: dict) -> dict:
    """Solver options given to World(), checked for their kind (SolverOptions checks their values)."""
    fields = {f.name: f.default for f in dataclasses.fields(SolverOptions)}
    for name, value in options.items():
        if name not in fields:
            raise checks.ArgumentTypeError(f"{name}: unknown World argument or solver option; solver options are "
                                           f"{', '.join(fields)}")
        default = fields[name]
        if isinstance(default, bool):
            checks.boolean(value, name)
        elif isinstance(default, int):
            checks.positive_int(value, name)
        elif isinstance(default, float):
            checks.real(value, name)
        elif not isinstance(value, str):
            raise checks.ArgumentTypeError(f"{name} must be a string, got {checks.describe(value)}")
    return options


def _bit_mask(value, name: str) -> int:
    """A collision bit mask: an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise checks.ArgumentTypeError(f"{name} must be an integer bit mask, got {checks.describe(value)}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 (a bit mask), got {value!r}")
    return int(value)


def _shape(shape) -> Shape:
    try:
        return Shape(shape)
    except ValueError:
        raise ValueError(f"shape must be one of {', '.join(s.name for s in Shape)}, got {shape!r}") from None


def _size(shape: Shape, size) -> np.ndarray:
    """(3,) size of a shape, its used entries positive: sphere (r, 0, 0), box half extents, capsule
    (r, half length, 0)."""
    size = checks.vector(size, 3, "size")
    used = {Shape.SPHERE: 1, Shape.BOX: 3, Shape.CAPSULE: 2}[shape]
    if np.any(size[:used] <= 0):
        raise ValueError(f"size: the first {used} entries of a {shape.name.lower()}'s size must be positive, "
                         f"got {size.tolist()}")
    return size


def _angle_limits(joint_type: JointType, lower, upper) -> tuple[float, float]:
    """Hinge limits (rad) in [-pi, pi]; None (or -inf/+inf) leaves a side open (-pi/pi).

    A limit outside [-pi, pi] or NaN is an error, not clipped: a hinge angle is measured in (-pi, pi].
    """
    if lower is None and upper is None:
        return -np.inf, np.inf
    if joint_type != JointType.HINGE:
        raise ValueError("lower/upper: limits exist on hinges only")
    values = []
    for name, value, open_side in (("lower", lower, -np.inf), ("upper", upper, np.inf)):
        angle = open_side if value is None else checks.real(value, name, "an angle (rad) or None")
        if angle == open_side:
            angle = float(np.sign(open_side) * np.pi)
        if not -np.pi <= angle <= np.pi:  # NaN fails too
            raise ValueError(f"{name} must be an angle in [-pi, pi] (rad) or None, got {value!r}")
        values.append(angle)
    if not values[0] < values[1]:
        raise ValueError(f"lower must be below upper, got lower={lower!r}, upper={upper!r}")
    return values[0], values[1]


class World:
    """Mutable builder of a Model.

    >>> world = World(dt=0.01)
    >>> world.add_ground(friction=0.8)
    >>> ball = world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 1))
    >>> model = world.build()
    """

    def __init__(self, dt: float = 0.01, gravity=(0.0, 0.0, -9.81), dtype: str = "float64",
                 solver: SolverOptions | None = None, **solver_options):
        self.dt = checks.positive(dt, "dt")
        self.gravity = checks.vector(gravity, 3, "gravity")
        if not isinstance(dtype, str) or dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        self.dtype = dtype
        if solver is not None and not isinstance(solver, SolverOptions):
            raise checks.ArgumentTypeError(f"solver must be a SolverOptions, got {type(solver).__name__}")
        self.solver = dataclasses.replace(solver or SolverOptions(), **_solver_options(solver_options))
        self.id = next(_WORLD_IDS)
        self._bodies: list[dict] = []
        self._ground: dict | None = None
        self._joints: list[dict] = []
        self._motors: list[dict] = []
        self._excluded: set = set()  # frozenset({a, b}) body pairs kept from touching

    # -- ground ------------------------------------------------------------
    def add_ground(self, friction: float = 1.0, restitution: float = 0.0, height: float = 0.0):
        """Static plane z = height with upward normal."""
        if self._ground is not None:
            raise ValueError("ground: this world already has a ground plane")
        self._ground = dict(
            friction=checks.nonnegative(friction, "friction"),
            restitution=checks.nonnegative(restitution, "restitution", 1.0),
            height=checks.number(height, "height"),
        )

    # -- bodies ------------------------------------------------------------
    def add_sphere(self, radius: float, **kwargs) -> Body:
        """Solid sphere of ``radius`` m. See :meth:`add_body` for the other arguments."""
        size = np.array([checks.positive(radius, "radius"), 0.0, 0.0])
        return self.add_body(Shape.SPHERE, size, **kwargs)

    def add_box(self, half_extents, **kwargs) -> Body:
        """Solid box with ``half_extents`` (m) along its body axes."""
        size = checks.vector(half_extents, 3, "half_extents")
        if np.any(size <= 0):
            raise ValueError(f"half_extents must be positive, got {size.tolist()}")
        return self.add_body(Shape.BOX, size, **kwargs)

    def add_capsule(self, radius: float, length: float, **kwargs) -> Body:
        """Solid capsule along its body z axis: a cylinder of ``length`` m
        between the centres of two hemispherical caps of ``radius`` m."""
        size = np.array([checks.positive(radius, "radius"), 0.5 * checks.positive(length, "length"), 0.0])
        return self.add_body(Shape.CAPSULE, size, **kwargs)

    def add_body(self, shape: Shape, size, *, mass: float | None = None,
                 density: float | None = None, position=(0.0, 0.0, 0.0),
                 orientation=(1.0, 0.0, 0.0, 0.0), velocity=(0.0, 0.0, 0.0),
                 angular_velocity=(0.0, 0.0, 0.0), friction: float = 1.0,
                 restitution: float = 0.0, name: str | None = None, fixed: bool = False,
                 contype: int = 1, conaffinity: int = 1) -> Body:
        """Add a rigid body.

        mass (kg) or density (kg/m^3), not both; density 1000 if neither.
        position (m) and orientation (quaternion w, x, y, z, normalized here)
        of the centre of mass; velocity (m/s) and angular_velocity (rad/s,
        world frame); friction coefficient and restitution in [0, 1].
        fixed=True: a static body (a wall, a table) that never moves; other
        bodies touch it, the ground does not.  contype, conaffinity:
        collision bit masks (MuJoCo's): two bodies touch each other if
        contype_a & conaffinity_b or contype_b & conaffinity_a is nonzero
        (both 1 by default: every body touches every body it is not joined to).
        """
        shape = _shape(shape)
        size = _size(shape, size)
        volume, unit_inertia = shapes.unit_inertia(shape, size)
        if mass is not None and density is not None:
            raise ValueError("mass and density: give one of them, not both")
        if mass is not None:
            mass = checks.positive(mass, "mass")
        else:
            mass = volume * (DEFAULT_DENSITY if density is None else checks.positive(density, "density"))
        index = len(self._bodies)
        if name is None:
            name = f"{shape.name.lower()}{index}"
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        if any(b["name"] == name for b in self._bodies):
            raise ValueError(f"name: a body named {name!r} already exists")
        fixed = checks.boolean(fixed, "fixed")
        velocity = checks.vector(velocity, 3, "velocity")
        angular_velocity = checks.vector(angular_velocity, 3, "angular_velocity")
        if fixed and (np.any(velocity != 0) or np.any(angular_velocity != 0)):
            raise ValueError("velocity, angular_velocity: a fixed body does not move; give it zero velocities")
        self._bodies.append(dict(
            name=name, shape=shape, size=size, mass=mass,
            unit_inertia=unit_inertia,
            position=checks.vector(position, 3, "position"),
            orientation=_unit_quaternion(orientation),
            velocity=velocity, angular_velocity=angular_velocity,
            friction=checks.nonnegative(friction, "friction"),
            restitution=checks.nonnegative(restitution, "restitution", 1.0),
            fixed=fixed, contype=_bit_mask(contype, "contype"), conaffinity=_bit_mask(conaffinity, "conaffinity"),
        ))
        return Body(index=index, name=name, shape=shape, world_id=self.id)

    # -- joints ------------------------------------------------------------
    def _body(self, body, name: str, allow_world: bool) -> int:
        """Index of a body given as a Body handle, name or index (None = world)."""
        if body is None:
            if allow_world:
                return -1
            raise ValueError(f"{name}: must be a body, not the world (None)")
        if isinstance(body, Body):
            if body.world_id != self.id:
                raise ValueError(f"{name}: body {body.name!r} belongs to another World")
            index = body.index
        elif isinstance(body, str):
            names = [b["name"] for b in self._bodies]
            if body not in names:
                raise ValueError(f"{name}: unknown body {body!r}")
            index = names.index(body)
        elif isinstance(body, (int, np.integer)) and not isinstance(body, bool):
            index = int(body)
        else:
            raise checks.ArgumentTypeError(f"{name}: expected a Body, a body name or an index, "
                                           f"got {checks.describe(body)}")
        if not 0 <= index < len(self._bodies):
            raise ValueError(f"{name}: unknown body index {index}")
        return index

    def _pose(self, index: int):
        if index < 0:
            return np.zeros(3), np.array([1.0, 0.0, 0.0, 0.0])
        return self._bodies[index]["position"], self._bodies[index]["orientation"]

    def _add_joint(self, joint_type: JointType, parent, child, anchor, axis, lower, upper, name) -> Joint:
        a = self._body(parent, "parent", allow_world=True)
        b = self._body(child, "child", allow_world=False)
        if a == b:
            raise ValueError("child: a joint cannot connect a body to itself")
        if self._bodies[b]["fixed"] and (a < 0 or self._bodies[a]["fixed"]):
            raise ValueError("child: a joint between fixed bodies (or a fixed body and the world) cannot move")
        index = len(self._joints)
        name = f"{joint_type.name.lower()}{index}" if name is None else name
        if not isinstance(name, str) or not name or any(j["name"] == name for j in self._joints):
            raise ValueError(f"name: joint names must be unique non-empty strings, got {name!r}")
        x_a, q_a = self._pose(a)
        x_b, q_b = self._pose(b)
        rot_a, rot_b = quat_to_matrix(q_a), quat_to_matrix(q_b)
        anchor = x_b if anchor is None else checks.vector(anchor, 3, "anchor")
        axis_world = checks.vector(axis, 3, "axis")
        norm = np.linalg.norm(axis_world)
        if norm < 1e-9:
            raise ValueError(f"axis must be a nonzero vector, got {axis_world.tolist()}")
        axis_world = axis_world / norm
        axis_parent = rot_a.T @ axis_world
        normal, binormal = _perpendiculars(axis_parent)
        lower, upper = _angle_limits(joint_type, lower, upper)
        self._joints.append(dict(
            name=name, type=joint_type, parent=a, child=b,
            anchor_parent=rot_a.T @ (anchor - x_a), anchor_child=rot_b.T @ (anchor - x_b),
            axis_parent=axis_parent, axis_child=rot_b.T @ axis_world,
            normal_parent=normal, binormal_parent=binormal,
            reference=quat_multiply(q_a * np.array([1, -1, -1, -1]), q_b), lower=lower, upper=upper))
        return Joint(index=index, name=name, type=joint_type, world_id=self.id)

    def add_hinge(self, parent, child, anchor, axis, lower: float | None = None,
                  upper: float | None = None, name: str | None = None) -> Joint:
        """Revolute joint about ``axis`` through ``anchor`` (world coordinates of
        the initial pose, m; None: the child's centre of mass). parent=None joints the child to the world.
        Optional angle limits lower/upper (rad) relative to the initial pose."""
        return self._add_joint(JointType.HINGE, parent, child, anchor, axis, lower, upper, name)

    def add_ball_joint(self, parent, child, anchor, name: str | None = None) -> Joint:
        """Spherical joint: the bodies share the point ``anchor`` (world, m; None: the child's centre)."""
        return self._add_joint(JointType.BALL, parent, child, anchor, (0, 0, 1), None, None, name)

    def add_fixed(self, parent, child, name: str | None = None) -> Joint:
        """Weld: the child keeps its initial pose relative to the parent."""
        return self._add_joint(JointType.FIXED, parent, child, None, (0, 0, 1), None, None, name)

    def add_motor(self, joint: Joint, max_torque: float, servo: bool = True, gain: float = 30.0,
                  max_speed: float = np.pi, name: str | None = None) -> Motor:
        """Motor on a hinge, its control input one column of the rollout's controls.

        servo=True: position servo; the control is a target angle (rad), the
        motor turns at gain * (target - angle) (gain 1/s) clipped to max_speed
        (rad/s); on a hinge without limits the target is taken modulo 2 pi
        (the servo turns the short way). servo=False: velocity motor; the
        control is the target speed (rad/s). Either way the torque is
        limited to max_torque (N m).
        """
        if not isinstance(joint, Joint):
            raise checks.ArgumentTypeError(f"joint: expected a Joint (from add_hinge), got {checks.describe(joint)}")
        if joint.world_id != self.id or not 0 <= joint.index < len(self._joints):
            raise ValueError(f"joint: joint {joint.name!r} belongs to another World")
        if joint.type != JointType.HINGE:
            raise ValueError(f"joint: motors drive hinges, {joint.name!r} is a {joint.type.name.lower()} joint")
        index = len(self._motors)
        name = f"motor{index}" if name is None else name
        if not isinstance(name, str) or not name or any(m["name"] == name for m in self._motors):
            raise ValueError(f"name: motor names must be unique non-empty strings, got {name!r}")
        self._motors.append(dict(name=name, joint=joint.index, servo=checks.boolean(servo, "servo"),
                                 max_torque=checks.positive(max_torque, "max_torque"),
                                 gain=checks.positive(gain, "gain"),
                                 max_speed=checks.positive(max_speed, "max_speed")))
        return Motor(index=index, name=name, joint=joint, world_id=self.id)

    # -- body-body contacts -------------------------------------------------
    def exclude_contact(self, a, b) -> None:
        """Keep bodies ``a`` and ``b`` (handles, names or indices) from touching each other."""
        i, j = self._body(a, "a", allow_world=False), self._body(b, "b", allow_world=False)
        if i == j:
            raise ValueError("b: a body cannot be excluded from contact with itself")
        key = frozenset((i, j))
        if key in self._joined():
            raise ValueError(f"b: bodies {self._bodies[i]['name']!r} and {self._bodies[j]['name']!r} are joined by "
                             "a joint, which already keeps them from touching")
        self._excluded.add(key)

    def exclude_distant_contacts(self, distance: float) -> int:
        """Keep every pair of bodies added so far whose bounding spheres (at their initial poses) are
        more than ``distance`` (m) apart from touching each other: a cheaper candidate set for scenes
        whose bodies stay near their first neighbours (a stack, a wall of bricks).  Returns how many
        pairs it excluded."""
        distance = checks.nonnegative(distance, "distance")
        before = len(self._excluded)
        for i, j in itertools.combinations(range(len(self._bodies)), 2):
            a, b = self._bodies[i], self._bodies[j]
            gap = np.linalg.norm(a["position"] - b["position"]) - pairs.bounding_radius(a) - pairs.bounding_radius(b)
            if gap > distance:
                self._excluded.add(frozenset((i, j)))
        return len(self._excluded) - before

    def _joined(self) -> set:
        return {frozenset((j["parent"], j["child"])) for j in self._joints if j["parent"] >= 0}

    def _pair_arrays(self, dtype) -> dict:
        body_pairs = pairs.candidate_pairs(self._bodies, self._joined(), self._excluded)
        candidates = pairs.pair_candidates(self._bodies, body_pairs, dtype)
        pairs.check_row_count(candidates, len(body_pairs))
        return dict(
            body_fixed=frozen_array([x["fixed"] for x in self._bodies], bool),
            pair_round_body=frozen_array(candidates.round_body), pair_round_half=frozen_array(candidates.round_half),
            pair_round_radius=frozen_array(candidates.round_radius),
            pair_round_second=frozen_array(candidates.round_second),
            pair_box_body=frozen_array(candidates.box_body), pair_box_offset=frozen_array(candidates.box_offset),
            pair_box_half=frozen_array(candidates.box_half), pair_box_radius=frozen_array(candidates.box_radius),
            pair_box_corner=frozen_array(candidates.box_corner), pair_edge_body=frozen_array(candidates.edge_body),
            pair_edge_slot=frozen_array(candidates.edge_slot))

    # -- build -------------------------------------------------------------
    def build(self) -> Model:
        """Validate and freeze into an immutable Model."""
        if not self._bodies:
            raise ValueError("bodies: the world has no bodies; add one with add_sphere/add_box/add_capsule")
        b = self._bodies
        if self.solver.method == "newton":  # its limit first: the body pairs' could fire before it
            check_newton_supported(len(b))
        contact_body, contact_offset, contact_radius = [], [], []
        if self._ground is not None:
            for index, body in enumerate(b):
                if body["fixed"]:
                    continue  # a fixed body stands where it was put, ground or not
                for offset, radius in _contact_candidates(body["shape"], body["size"]):
                    contact_body.append(index)
                    contact_offset.append(offset)
                    contact_radius.append(radius)
        ground = self._ground or dict(friction=0.0, restitution=0.0, height=0.0)
        dtype = self.dtype
        return Model(
            dt=self.dt,
            gravity=frozen_array(self.gravity, dtype),
            dtype=dtype,
            body_names=tuple(x["name"] for x in b),
            body_shape=frozen_array([int(x["shape"]) for x in b], np.int64),
            body_size=frozen_array([x["size"] for x in b], dtype),
            body_mass=frozen_array([x["mass"] for x in b], dtype),
            body_unit_inertia=frozen_array([x["unit_inertia"] for x in b], dtype),
            body_friction=frozen_array([x["friction"] for x in b], dtype),
            body_restitution=frozen_array([x["restitution"] for x in b], dtype),
            init_position=frozen_array([x["position"] for x in b], dtype),
            init_orientation=frozen_array([x["orientation"] for x in b], dtype),
            init_velocity=frozen_array([x["velocity"] for x in b], dtype),
            init_angular_velocity=frozen_array([x["angular_velocity"] for x in b], dtype),
            has_ground=self._ground is not None,
            ground_height=float(ground["height"]),
            ground_friction=float(ground["friction"]),
            ground_restitution=float(ground["restitution"]),
            contact_body=frozen_array(np.array(contact_body, dtype=np.int64).reshape(-1)),
            contact_offset=frozen_array(np.array(contact_offset, dtype=dtype).reshape(-1, 3)),
            contact_radius=frozen_array(np.array(contact_radius, dtype=dtype).reshape(-1)),
            solver=self.solver,
            **self._joint_arrays(dtype),
            **self._pair_arrays(dtype),
        )

    def _joint_arrays(self, dtype) -> dict:
        j, m = self._joints, self._motors

        def array(rows, key, width=None, kind=dtype):
            shape = (len(rows),) if width is None else (len(rows), width)
            return frozen_array(np.array([r[key] for r in rows], dtype=kind).reshape(shape))

        return dict(
            joint_names=tuple(x["name"] for x in j),
            joint_type=array(j, "type", kind=np.int64), joint_parent=array(j, "parent", kind=np.int64),
            joint_child=array(j, "child", kind=np.int64),
            joint_anchor_parent=array(j, "anchor_parent", 3), joint_anchor_child=array(j, "anchor_child", 3),
            joint_axis_parent=array(j, "axis_parent", 3), joint_axis_child=array(j, "axis_child", 3),
            joint_normal_parent=array(j, "normal_parent", 3),
            joint_binormal_parent=array(j, "binormal_parent", 3),
            joint_reference=array(j, "reference", 4), joint_lower=array(j, "lower"),
            joint_upper=array(j, "upper"),
            motor_names=tuple(x["name"] for x in m), motor_joint=array(m, "joint", kind=np.int64),
            motor_servo=array(m, "servo", kind=bool), motor_max_torque=array(m, "max_torque"),
            motor_gain=array(m, "gain"), motor_max_speed=array(m, "max_speed"),
        )


__all__ = ["World", "Body", "Joint", "Motor", "DEFAULT_DENSITY"]
