"""Ground-contact rows: a normal and two friction rows per candidate sphere.

Each candidate is a sphere (radius 0 for a box corner) fixed in a body. Its
normal row follows the rules body-body contacts follow (contact_normal.py): it
is active while the gap to the plane is below ``contact_margin`` plus the
distance the point approaches in one step; across a gap it is rigid with
target -gap / dt (a speculative contact: the gap closes within the step and no
further, so a fast body does not sink in); a bounce (approach faster than the
restitution threshold, e = max(e_body, e_ground) > 0, the gap closing within
the step) is rigid with target e times the speed at its time of impact within
the step, where the step then turns the body (step.position_velocity); an
impact that does not bounce stops exactly (rigid, target 0); touching, the row
is soft (Catto 2011, "Soft Step", as in Box2D v3): a spring of natural
frequency f and damping ratio zeta, implicit in the time step so it is stable
for any stiffness, pushes out of penetration and rests at g / (2 pi f)^2. An
inactive candidate's rows have zero bounds, so the solver gives them zero
impulse. Friction is bounded by sqrt(mu_body mu_ground) times the normal
impulse (Box2D's mixing).
"""

from __future__ import annotations

import numpy as np

from .. import math3d
from ..backend import pt
from .contact_normal import impact_fraction, normal_activity, normal_coefficients, rebound_speed
from .gather import gather, scatter_add
from .rows import Rows, contact_block

NORMAL = np.array([0.0, 0.0, 1.0])
TANGENTS = (np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))


def contact_rows(model, kin, free_velocity, params) -> Rows:
    """Rows of all ground-contact candidates.

    kin: Kinematics of the step (rotation, position, start-of-step velocities).
    free_velocity: (B, N, 6) the unconstrained velocities v* (forces.FreeMotion.velocity).
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
    def normal_speed(velocity):  # (B, N, 6) body velocities -> (B, C) m/s of the contact points, < 0 approaching
        return pt.sum(jac_n * per_contact(velocity), axis=-1)

    approach = normal_speed(free_velocity)  # over the step: semi-implicit Euler moves the bodies at v*
    approach_start = normal_speed(kin.motion0())

    solver = model.solver
    restitution = pt.maximum(per_contact(params.body_restitution), params.ground_restitution)
    active, bounce = normal_activity(solver, model.dt, distance, approach, approach_start, restitution)
    active_f = pt.cast(active, dtype)
    fraction = impact_fraction(model.dt, distance, approach, bounce)
    target_n, mass_scale_n, impulse_scale_n = normal_coefficients(
        solver, model.dt, distance, approach_start, rebound_speed(approach_start, approach, fraction, restitution),
        active, bounce)
    mu = pt.sqrt(per_contact(params.body_friction) * params.ground_friction)  # (P, C), Box2D mixing
    count = scatter_add(active_f, body, n_bodies, dtype)
    return contact_block(body, np.full(n_c, -1), pt.concatenate([jac_n, jac_t1, jac_t2], axis=1), None,
                         target_n, mass_scale_n, impulse_scale_n, active_f, mu, count, fraction)

