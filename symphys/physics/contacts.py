"""Ground-contact rows: a normal and two friction rows per candidate sphere.

Each candidate is a sphere (radius 0 for a box corner) fixed in a body.  A
candidate is active while it penetrates the plane; an inactive candidate's
rows have zero bounds, so the solver gives them zero impulse.  The normal row
is soft (Catto 2011, "Soft Step", as in Box2D v3): a spring of natural
frequency f and damping ratio zeta pushes out of penetration, implicit in the
time step so it is stable for any stiffness.  Bouncing contacts (approach
speed above the restitution threshold) instead get a rigid row whose target
is -e times the approach speed.
"""

from __future__ import annotations

import numpy as np

from .. import math3d
from ..backend import pt
from .gather import gather, scatter_add
from .rows import Rows, contact_block, soft_coefficients

NORMAL = np.array([0.0, 0.0, 1.0])
TANGENTS = (np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))


def contact_rows(model, kin, params) -> Rows:
    """Rows of all ground-contact candidates.

    kin: Kinematics of the step (rotation, position, start-of-step velocities).
    params: normalized Params (per-body arrays of shape (P, n_bodies)).
    """
    dtype = model.dtype
    body = model.contact_body
    n_c = model.n_contacts
    n_bodies = model.n_bodies

    def per_contact(x):  # (P, n_bodies, ...) -> (P, n_contacts, ...)
        return gather(x, body, n_bodies, dtype)

    rotation = per_contact(kin.rotation)  # (B, C, 3, 3)
    centre_offset = math3d.matvec(rotation, pt.constant(model.contact_offset.astype(dtype)))
    centre = per_contact(kin.position) + centre_offset  # (B, C, 3)
    radius = pt.constant(model.contact_radius.astype(dtype))
    distance = centre[..., 2] - radius - model.ground_height  # (B, C) m, < 0 = penetration
    normal = pt.constant(NORMAL.astype(dtype))
    lever = centre_offset - radius[:, None] * normal  # (B, C, 3) centre of mass -> contact point

    def jacobian(direction):
        d = pt.constant(direction.astype(dtype))
        angular = math3d.cross(lever, pt.ones_like(lever) * d)
        return pt.concatenate([pt.ones_like(lever) * d, angular], axis=-1)

    jac_n, jac_t1, jac_t2 = jacobian(NORMAL), jacobian(TANGENTS[0]), jacobian(TANGENTS[1])
    # Normal velocity of the contact point at the start of the step (before forces).
    point_velocity = per_contact(kin.velocity0) + math3d.cross(per_contact(kin.angular_velocity0), lever)
    approach = point_velocity[..., 2]  # (B, C) m/s, < 0 = approaching

    active = pt.lt(distance, 0.0)
    active_f = pt.cast(active, dtype)
    solver = model.solver
    bias_rate, soft_mass, soft_impulse = soft_coefficients(
        solver.contact_frequency, solver.contact_damping_ratio, model.dt)
    push_out = pt.minimum(-bias_rate * distance, solver.max_push_velocity)

    restitution = pt.maximum(per_contact(params.body_restitution), params.ground_restitution)
    bounce = pt.and_(pt.lt(approach, -solver.restitution_threshold), pt.gt(restitution, 0.0))
    target_n = pt.switch(bounce, -restitution * approach, push_out)
    mass_scale_n = pt.switch(bounce, 1.0, soft_mass) * pt.ones_like(distance)
    impulse_scale_n = pt.switch(bounce, 0.0, soft_impulse) * pt.ones_like(distance)

    mu = pt.sqrt(per_contact(params.body_friction) * params.ground_friction)  # (P, C), Box2D mixing
    count = scatter_add(active_f, body, n_bodies, dtype)
    return contact_block(body, np.full(n_c, -1), pt.concatenate([jac_n, jac_t1, jac_t2], axis=1), None,
                         target_n, mass_scale_n, impulse_scale_n, active_f, mu, count)

