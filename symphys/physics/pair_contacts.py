"""Body-body contact rows: a normal and two friction rows per candidate (symphys/pairs.py).

Each candidate's geometry comes from collision.py (one vectorized set of operations per kind:
round-round, point-box, box edge crossings) as a distance, a unit normal from body b to body a and a contact point.
The rows then follow the ground contacts (contacts.py): while the bodies overlap the normal row
is Catto's soft spring pushing them apart, a bouncing approach (faster than the restitution
threshold, restitution max(e_a, e_b) > 0) gets a rigid row of target -e times the approach speed
(0 for a fast approach that does not bounce),
friction rows are bounded by sqrt(mu_a mu_b) times the normal impulse (Box2D's mixing).  Unlike
the ground's, a pair's rows are also active across a small gap (``contact_margin`` plus the
distance the bodies approach in one step): a rigid speculative row whose target -gap / dt lets
the gap close within the step and no further, so fast bodies cannot pass through each other.
A fixed body's side of a row is the world (body -1).
"""

from __future__ import annotations

import numpy as np

from .. import math3d
from ..backend import pt
from . import collision
from .gather import gather, scatter_add
from .rows import Rows, contact_block, project, soft_coefficients

# m: a gap this small counts as touching (the soft row).  A speculative row sets a body down exactly
# on a surface, a gap of +-1e-17 m by round-off; the rigid speculative row would then hold it there
# or not by chance, where the soft row lets it sink to the resting depth it has on the ground.
TOUCH_SLOP = 1e-6
TINY_SPEED_SQUARED = 1e-18  # (m/s)^2: bodies slower than 1e-9 m/s relative to each other are not moving
TINY_DISCRIMINANT = 1e-30  # m^4/s^2: below, a pass is grazing (sqrt and its gradient stay finite)


def pair_geometry(model, kin):
    """(body_a (C,), body_b (C,), distance (B, C), normal (B, C, 3), point (B, C, 3)) of every
    body-body candidate: round-round, point-box, then box edge crossings."""
    dtype, n = model.dtype, model.n_bodies
    parts = []
    const = lambda x: pt.constant(np.ascontiguousarray(x).astype(dtype))  # noqa: E731

    def pose(body, offset):  # world position of a body-frame offset, and the body's z axis
        rotation = gather(kin.rotation, body, n, dtype)
        centre = gather(kin.position, body, n, dtype) + math3d.matvec(rotation, pt.constant(offset.astype(dtype)))
        return centre, rotation[..., :, 2], rotation

    if len(model.pair_round_body):
        body, half, radius = model.pair_round_body, model.pair_round_half, model.pair_round_radius
        second = model.pair_round_second if len(model.pair_round_second) == len(body) else np.zeros(len(body), bool)
        zero = np.zeros((len(body), 3))
        centre_a, axis_a, _ = pose(body[:, 0], zero)
        centre_b, axis_b, _ = pose(body[:, 1], zero)
        geometry = collision.round_round(centre_a, axis_a, const(half[:, 0]), const(radius[:, 0]),
                                         centre_b, axis_b, const(half[:, 1]), const(radius[:, 1]),
                                         const(second))
        parts.append((body[:, 0], body[:, 1], *geometry))
    if len(model.pair_box_body):
        body = model.pair_box_body
        centre, axis, _ = pose(body[:, 0], model.pair_box_offset)
        box_centre, _, box_rotation = pose(body[:, 1], np.zeros((len(body), 3)))
        half_extents = pt.constant(model.body_size[body[:, 1]].astype(dtype))
        point = collision.segment_box_point(centre, axis, pt.constant(model.pair_box_half.astype(dtype)), box_centre,
                                            box_rotation, half_extents)
        radius = pt.constant(model.pair_box_radius.astype(dtype))
        # Corners choose their face by the bodies' centres, spheres and capsules by depth.  Both are
        # computed for every candidate, so that the graph is the same whichever shapes a model has.
        by_depth = collision.point_box(point, radius, box_centre, box_rotation, half_extents)
        by_centre = collision.point_box(point, radius, box_centre, box_rotation, half_extents,
                                        gather(kin.position, body[:, 0], n, dtype))
        mask = pt.constant(model.pair_box_corner)
        # A corner is no deeper in the other box than the two boxes overlap (and not in it when they are apart).
        carrier = gather(kin.rotation, body[:, 0], n, dtype)
        corner_distance = collision.no_deeper_than_the_boxes(
            by_centre[0], gather(kin.position, body[:, 0], n, dtype) - box_centre, carrier,
            const(model.body_size[body[:, 0]]), box_rotation, half_extents)
        by_centre = (corner_distance, *by_centre[1:])
        geometry = tuple(pt.switch(mask if k == 0 else mask[:, None], c, d)
                         for k, (c, d) in enumerate(zip(by_centre, by_depth)))
        parts.append((body[:, 0], body[:, 1], *geometry))
    if len(model.pair_edge_body):
        body, slot = model.pair_edge_body, model.pair_edge_slot
        centre_a, _, rotation_a = pose(body[:, 0], np.zeros((len(body), 3)))
        centre_b, _, rotation_b = pose(body[:, 1], np.zeros((len(body), 3)))
        direction, offset = collision.edge_table()
        geometry = collision.box_edge_crossing(
            centre_a, rotation_a, const(model.body_size[body[:, 0]]), centre_b, rotation_b,
            const(model.body_size[body[:, 1]]), const(direction[slot]), const(offset[slot]), const(slot >= 4))
        parts.append((body[:, 0], body[:, 1], *geometry))
    if len(parts) == 1:
        return parts[0]
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            *(pt.concatenate([p[k] for p in parts], axis=1) for k in (2, 3, 4)))


def tangents(normal):
    """Two unit vectors (B, C, 3) completing the normal to an orthonormal basis: the first is
    normal x e, e the world axis least aligned with the normal."""
    dtype = normal.dtype
    least = pt.argmin(abs(normal), axis=-1)
    helper = pt.constant(np.eye(3, dtype=dtype))[least]
    _, first = collision.safe_unit(math3d.cross(normal, helper))
    return first, math3d.cross(normal, first)


def normal_speed(normal, lever_a, lever_b, v_a, w_a, v_b, w_b):
    """n . (v_a + w_a x r_a - v_b - w_b x r_b) (m/s): the contact points' relative velocity along the
    normal, < 0 when closing (the normal rows' J v)."""
    return math3d.dot(normal, v_a - v_b) + math3d.dot(math3d.cross(lever_a, normal), w_a) \
        - math3d.dot(math3d.cross(lever_b, normal), w_b)


def impact_geometry(model, distance, normal, lever_a, lever_b, approach, bounce, relative_velocity, velocities):
    """(normal, lever_a, lever_b, approach) of the round-round candidates that bounce within this step
    taken at the time of impact; other candidates' unchanged.

    A bounce row acts while a gap of up to one step's travel is still open.  Taken at the start of
    the step, the normal of an oblique impact is the line of centres before they touch, and it jumps
    whenever a small change of the initial state moves the impact into another step: a struck ball
    leaves in a direction that jumps with the incoming speed (0.24 m at the end of a billiards shot).
    At the time of impact tau, the first root in [0, dt] of |d + tau w| = r_a + r_b (d the segments'
    closest points' difference, w the centres' relative velocity), the line of centres is where they
    touch: exact for spheres in straight flight, and continuous as the impact moves between steps.
    """
    n_round = len(model.pair_round_body)
    dtype, dt = model.dtype, model.dt
    radius = model.pair_round_radius.astype(dtype)
    reach = pt.constant(radius.sum(axis=1))  # r_a + r_b (C_round,)
    round_ = slice(0, n_round)
    d_dist, d_normal = distance[:, round_], normal[:, round_]
    separation = d_normal * (d_dist + reach)[..., None]  # d, from b's segment point to a's
    w = relative_velocity[:, round_]
    a = math3d.dot(w, w)
    half_b = math3d.dot(separation, w)
    c = d_dist * (d_dist + 2.0 * reach)  # |d|^2 - (r_a + r_b)^2
    moving = pt.gt(a, TINY_SPEED_SQUARED)
    a_safe = pt.switch(moving, a, 1.0)
    # A grazing pass (no real root) takes the time of closest approach, -half_b / a.
    discriminant = half_b * half_b - a_safe * c
    root = pt.sqrt(pt.switch(pt.gt(discriminant, TINY_DISCRIMINANT), discriminant, TINY_DISCRIMINANT))
    zero = pt.zeros_like(a)
    tau = pt.switch(moving, project((-half_b - root) / a_safe, zero, zero + dt), 0.0)
    _, impact_normal = collision.safe_unit(separation + tau[..., None] * w)
    r_a, r_b = pt.constant(radius[:, 0]), pt.constant(radius[:, 1])
    # The surface points at the impact, from each body's centre (the closest segment points move with it).
    impact_lever_a = lever_a[:, round_] + d_normal * (0.5 * d_dist + r_a)[..., None] - r_a[..., None] * impact_normal
    impact_lever_b = lever_b[:, round_] - d_normal * (0.5 * d_dist + r_b)[..., None] + r_b[..., None] * impact_normal
    v_a, w_a, v_b, w_b = (x[:, round_] for x in velocities)
    impact_approach = normal_speed(impact_normal, impact_lever_a, impact_lever_b, v_a, w_a, v_b, w_b)
    hit = bounce[:, round_]

    n_candidates = model.n_pair_contacts

    def choose(at_impact, now, vector=True):
        chosen = pt.switch(hit[..., None] if vector else hit, at_impact, now[:, round_])
        return chosen if n_round == n_candidates else pt.concatenate([chosen, now[:, n_round:]], axis=1)

    return (choose(impact_normal, normal), choose(impact_lever_a, lever_a), choose(impact_lever_b, lever_b),
            choose(impact_approach, approach, vector=False))


def pair_contact_rows(model, kin, params) -> Rows:
    """Rows of all body-body contact candidates.

    kin: Kinematics of the step; params: normalized Params (per-body arrays (P, n_bodies)).
    """
    dtype, n, dt, solver = model.dtype, model.n_bodies, model.dt, model.solver
    body_a, body_b, distance, normal, point = pair_geometry(model, kin)
    fixed = model.fixed_mask
    # A fixed body is the world to the solvers: its side of the rows is body -1.
    side_a, side_b = np.where(fixed[body_a], -1, body_a), np.where(fixed[body_b], -1, body_b)
    lever_a = point - gather(kin.position, body_a, n, dtype)
    lever_b = point - gather(kin.position, body_b, n, dtype)
    # Normal velocity at the start of the step (< 0: closing).
    velocity0 = pt.concatenate([kin.velocity0, kin.angular_velocity0], axis=-1)  # (B, N, 6)
    motion_a, motion_b = gather(velocity0, side_a, n, dtype), gather(velocity0, side_b, n, dtype)
    v_a, w_a, v_b, w_b = motion_a[..., :3], motion_a[..., 3:], motion_b[..., :3], motion_b[..., 3:]
    approach = normal_speed(normal, lever_a, lever_b, v_a, w_a, v_b, w_b)
    closing = pt.maximum(-approach, 0.0)
    active = pt.lt(distance, solver.contact_margin + dt * closing)
    material = pt.stack([params.body_restitution, params.body_friction], axis=-1)  # (P, N, 2)
    material_a, material_b = gather(material, body_a, n, dtype), gather(material, body_b, n, dtype)
    restitution = pt.maximum(material_a[..., 0], material_b[..., 0])
    # Bounce only when the gap closes within this step: a farther pair is held by its speculative row.
    bounce = pt.and_(pt.and_(pt.lt(approach, -solver.restitution_threshold), pt.gt(restitution, 0.0)),
                     pt.lt(distance + dt * approach, 0.0))
    if len(model.pair_round_body):
        normal, lever_a, lever_b, approach = impact_geometry(model, distance, normal, lever_a, lever_b, approach,
                                                             bounce, v_a - v_b, (v_a, w_a, v_b, w_b))
    first, second = tangents(normal)
    # Rows in three blocks (normals, first tangents, second tangents): directions (B, 3 C, 3), and one
    # cross product per side for their angular parts.
    directions = pt.concatenate([normal, first, second], axis=1)
    tile = lambda x: pt.concatenate([x, x, x], axis=1)  # noqa: E731  (B, C, 3) -> (B, 3 C, 3)
    jac_a = pt.concatenate([directions, math3d.cross(tile(lever_a), directions)], axis=-1)
    jac_b = -pt.concatenate([directions, math3d.cross(tile(lever_b), directions)], axis=-1)
    active_f = pt.cast(active, dtype)
    touching = pt.le(distance, TOUCH_SLOP)
    bias_rate, soft_mass, soft_impulse = soft_coefficients(solver.contact_frequency, solver.contact_damping_ratio, dt)
    push_out = pt.minimum(-bias_rate * distance, solver.max_push_velocity)

    # An impact that does not bounce (a plastic hit, or the step after a speculative row closed a gap at
    # speed) stops the approach exactly: the soft spring would let the bodies sink in and push them
    # apart again, a bounce of up to max_push_velocity.
    impact = pt.and_(pt.and_(touching, pt.lt(approach, -solver.restitution_threshold)), pt.invert(bounce))
    target_n = pt.switch(bounce, -restitution * approach,
                         pt.switch(touching, pt.switch(impact, 0.0, push_out), -distance / dt))
    rigid = pt.or_(pt.or_(bounce, impact), pt.invert(touching))
    ones = pt.ones_like(distance)
    # Inactive candidates' rows are zero, not just unbounded: a body gone non-finite must not make its
    # far neighbours' Jacobians NaN (NaN * 0 impulse is NaN), so the report names the body that failed.
    jac_a, jac_b = (pt.switch(tile(active[..., None]), jac, 0.0) for jac in (jac_a, jac_b))
    target_n = pt.switch(active, target_n, 0.0)
    mass_scale_n = pt.switch(rigid, 1.0, soft_mass) * ones
    impulse_scale_n = pt.switch(rigid, 0.0, soft_impulse) * ones
    mu = pt.sqrt(material_a[..., 1] * material_b[..., 1])
    count = scatter_add(active_f, side_a, n, dtype) + scatter_add(active_f, side_b, n, dtype)
    return contact_block(side_a, side_b, jac_a, jac_b, target_n, mass_scale_n, impulse_scale_n, active_f, mu,
                         count)
