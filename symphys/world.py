"""World builder: declare bodies and the ground, validate, build a Model.

Every argument is checked where it is given; a bad one raises ValueError
naming it, long before any graph exists.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .model import Model, Shape, SolverOptions, _frozen

DEFAULT_DENSITY = 1000.0  # kg/m^3, water; used when neither mass nor density is given


@dataclasses.dataclass(frozen=True)
class Body:
    """Handle to a body added to a World; ``index`` addresses State arrays."""

    index: int
    name: str
    shape: Shape


def _finite_vector(value, size: int, name: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {size} numbers, got {value!r}") from None
    if array.ndim == 0:
        array = np.full(size, float(array))
    if array.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array.tolist()}")
    return array


def _positive(value, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return number


def _nonnegative(value, name: str, upper: float | None = None) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}") from None
    if not math.isfinite(number) or number < 0 or (upper is not None and number > upper):
        bound = f" and <= {upper}" if upper is not None else ""
        raise ValueError(f"{name} must be >= 0{bound}, got {value!r}")
    return number


def _unit_quaternion(value, name: str = "orientation") -> np.ndarray:
    q = _finite_vector(value, 4, name)
    norm = float(np.linalg.norm(q))
    if norm < 1e-9:
        raise ValueError(f"{name} must be a nonzero quaternion (w, x, y, z), got {q.tolist()}")
    return q / norm


def _unit_inertia(shape: Shape, size: np.ndarray) -> tuple[float, np.ndarray]:
    """Volume (m^3) and principal inertia per kg (m^2) of a uniform solid."""
    if shape == Shape.SPHERE:
        r = size[0]
        return 4.0 / 3.0 * math.pi * r**3, np.full(3, 0.4 * r * r)
    if shape == Shape.BOX:
        hx, hy, hz = size
        volume = 8.0 * hx * hy * hz
        return volume, np.array([hy * hy + hz * hz, hx * hx + hz * hz, hx * hx + hy * hy]) / 3.0
    # Capsule along body z: cylinder of length 2h plus two hemispheres of radius r.
    r, h = size[0], size[1]
    length = 2.0 * h
    v_cyl = math.pi * r * r * length
    v_sph = 4.0 / 3.0 * math.pi * r**3
    volume = v_cyl + v_sph
    m_cyl, m_sph = v_cyl / volume, v_sph / volume  # per kg of the whole capsule
    axial = m_cyl * r * r / 2.0 + m_sph * 0.4 * r * r
    transverse = (m_cyl * (length * length / 12.0 + r * r / 4.0)
                  + m_sph * (0.4 * r * r + length * length / 4.0 + 3.0 * length * r / 8.0))
    return volume, np.array([transverse, transverse, axial])


def _contact_candidates(shape: Shape, size: np.ndarray):
    """Ground-contact candidate spheres (body-frame centre, radius) of a shape."""
    if shape == Shape.SPHERE:
        return [(np.zeros(3), size[0])]
    if shape == Shape.BOX:
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        return [(s * size, 0.0) for s in signs]
    r, h = size[0], size[1]
    return [(np.array([0.0, 0.0, -h]), r), (np.array([0.0, 0.0, h]), r)]


class World:
    """Mutable builder of a Model.

    >>> world = World(dt=0.01)
    >>> world.add_ground(friction=0.8)
    >>> ball = world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 1))
    >>> model = world.build()
    """

    def __init__(self, dt: float = 0.01, gravity=(0.0, 0.0, -9.81), dtype: str = "float64",
                 solver: SolverOptions | None = None, **solver_options):
        self.dt = _positive(dt, "dt")
        self.gravity = _finite_vector(gravity, 3, "gravity")
        if dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        self.dtype = dtype
        if solver is not None and not isinstance(solver, SolverOptions):
            raise ValueError(f"solver must be a SolverOptions, got {type(solver).__name__}")
        self.solver = dataclasses.replace(solver or SolverOptions(), **solver_options)
        self._bodies: list[dict] = []
        self._ground: dict | None = None

    # -- ground ------------------------------------------------------------
    def add_ground(self, friction: float = 1.0, restitution: float = 0.0, height: float = 0.0):
        """Static plane z = height with upward normal."""
        if self._ground is not None:
            raise ValueError("ground: this world already has a ground plane")
        self._ground = dict(
            friction=_nonnegative(friction, "friction"),
            restitution=_nonnegative(restitution, "restitution", 1.0),
            height=float(_finite_vector(height, 1, "height")[0]),
        )

    # -- bodies ------------------------------------------------------------
    def add_sphere(self, radius: float, **kwargs) -> Body:
        """Solid sphere of ``radius`` m. See :meth:`add_body` for the other arguments."""
        size = np.array([_positive(radius, "radius"), 0.0, 0.0])
        return self.add_body(Shape.SPHERE, size, **kwargs)

    def add_box(self, half_extents, **kwargs) -> Body:
        """Solid box with ``half_extents`` (m) along its body axes."""
        size = _finite_vector(half_extents, 3, "half_extents")
        if np.any(size <= 0):
            raise ValueError(f"half_extents must be positive, got {size.tolist()}")
        return self.add_body(Shape.BOX, size, **kwargs)

    def add_capsule(self, radius: float, length: float, **kwargs) -> Body:
        """Solid capsule along its body z axis: a cylinder of ``length`` m
        between the centres of two hemispherical caps of ``radius`` m."""
        size = np.array([_positive(radius, "radius"), 0.5 * _positive(length, "length"), 0.0])
        return self.add_body(Shape.CAPSULE, size, **kwargs)

    def add_body(self, shape: Shape, size, *, mass: float | None = None,
                 density: float | None = None, position=(0.0, 0.0, 0.0),
                 orientation=(1.0, 0.0, 0.0, 0.0), velocity=(0.0, 0.0, 0.0),
                 angular_velocity=(0.0, 0.0, 0.0), friction: float = 1.0,
                 restitution: float = 0.0, name: str | None = None) -> Body:
        """Add a rigid body.

        mass (kg) or density (kg/m^3), not both; density 1000 if neither.
        position (m) and orientation (quaternion w, x, y, z, normalized here)
        of the centre of mass; velocity (m/s) and angular_velocity (rad/s,
        world frame); friction coefficient and restitution in [0, 1].
        """
        shape = Shape(shape)
        volume, unit_inertia = _unit_inertia(shape, np.asarray(size, dtype=float))
        if mass is not None and density is not None:
            raise ValueError("mass and density: give one of them, not both")
        if mass is not None:
            mass = _positive(mass, "mass")
        else:
            mass = volume * (DEFAULT_DENSITY if density is None else _positive(density, "density"))
        index = len(self._bodies)
        if name is None:
            name = f"{shape.name.lower()}{index}"
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        if any(b["name"] == name for b in self._bodies):
            raise ValueError(f"name: a body named {name!r} already exists")
        self._bodies.append(dict(
            name=name, shape=shape, size=np.asarray(size, dtype=float), mass=mass,
            unit_inertia=unit_inertia,
            position=_finite_vector(position, 3, "position"),
            orientation=_unit_quaternion(orientation),
            velocity=_finite_vector(velocity, 3, "velocity"),
            angular_velocity=_finite_vector(angular_velocity, 3, "angular_velocity"),
            friction=_nonnegative(friction, "friction"),
            restitution=_nonnegative(restitution, "restitution", 1.0),
        ))
        return Body(index=index, name=name, shape=shape)

    # -- build -------------------------------------------------------------
    def build(self) -> Model:
        """Validate and freeze into an immutable Model."""
        if not self._bodies:
            raise ValueError("bodies: the world has no bodies; add one with add_sphere/add_box/add_capsule")
        b = self._bodies
        contact_body, contact_offset, contact_radius = [], [], []
        if self._ground is not None:
            for index, body in enumerate(b):
                for offset, radius in _contact_candidates(body["shape"], body["size"]):
                    contact_body.append(index)
                    contact_offset.append(offset)
                    contact_radius.append(radius)
        ground = self._ground or dict(friction=0.0, restitution=0.0, height=0.0)
        dtype = self.dtype
        return Model(
            dt=self.dt,
            gravity=_frozen(self.gravity, dtype),
            dtype=dtype,
            body_names=tuple(x["name"] for x in b),
            body_shape=_frozen([int(x["shape"]) for x in b], np.int64),
            body_size=_frozen([x["size"] for x in b], dtype),
            body_mass=_frozen([x["mass"] for x in b], dtype),
            body_unit_inertia=_frozen([x["unit_inertia"] for x in b], dtype),
            body_friction=_frozen([x["friction"] for x in b], dtype),
            body_restitution=_frozen([x["restitution"] for x in b], dtype),
            init_position=_frozen([x["position"] for x in b], dtype),
            init_orientation=_frozen([x["orientation"] for x in b], dtype),
            init_velocity=_frozen([x["velocity"] for x in b], dtype),
            init_angular_velocity=_frozen([x["angular_velocity"] for x in b], dtype),
            has_ground=self._ground is not None,
            ground_height=float(ground["height"]),
            ground_friction=float(ground["friction"]),
            ground_restitution=float(ground["restitution"]),
            contact_body=_frozen(np.array(contact_body, dtype=np.int64).reshape(-1)),
            contact_offset=_frozen(np.array(contact_offset, dtype=dtype).reshape(-1, 3)),
            contact_radius=_frozen(np.array(contact_radius, dtype=dtype).reshape(-1)),
            solver=self.solver,
        )


__all__ = ["World", "Body", "DEFAULT_DENSITY"]
