"""Body-body contact rows: a normal and two friction rows per candidate (symphys/pairs.py).

Each candidate's geometry comes from collision.py (one vectorized set of operations per kind:
round-round, point-box, box edge crossings) as a distance, a unit normal from body b to body a and a contact point.
The normal rows follow the rules ground contacts follow (contact_normal.py): active across a gap
below ``contact_margin`` plus the distance the bodies approach in one step, where a rigid
speculative row of target -gap / dt lets the gap close within the step and no further (fast bodies
cannot pass through each other); a bounce (faster than the restitution threshold, restitution
max(e_a, e_b) > 0, the gap closing within the step) is a rigid row of target e times the speed at
its time of impact within the step (round pairs: along the line of centres then), a fast approach
that does not bounce stops exactly (target 0), and while the bodies overlap the row is Catto's
soft spring pushing them apart.  Friction rows are bounded by sqrt(mu_a mu_b)
times the normal impulse (Box2D's mixing).
A fixed body's side of a row is the world (body -1).
"""

from __future__ import annotations

import numpy as np

from .. import math3d
from ..backend import pt
from . import collision
from .contact_normal import impact_fraction, normal_activity, normal_coefficients, rebound_speed
from .gather import gather, scatter_add
from .rows import Rows, contact_block, project

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


def impact_geometry(model, distance, normal, lever_a, lever_b, approach, approach_start, fraction, bounce,
                    velocities, start_velocities):
    """(normal, lever_a, lever_b, approach, approach_start, fraction) of the round-round candidates that
    bounce within this step taken at the time of impact (fraction: tau / dt, the part of the step before
    it); other candidates' unchanged.

    velocities, start_velocities: (v_a, w_a, v_b, w_b) of each candidate's bodies over the step (v*)
    and at its start; approach and approach_start are their normal speeds.

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
    v_a, w_a, v_b, w_b = (x[:, round_] for x in velocities)
    w = v_a - v_b  # the centres' relative velocity over the step
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
    impact_approach = normal_speed(impact_normal, impact_lever_a, impact_lever_b, v_a, w_a, v_b, w_b)
    impact_approach_start = normal_speed(impact_normal, impact_lever_a, impact_lever_b,
                                         *(x[:, round_] for x in start_velocities))
    hit = bounce[:, round_]

    n_candidates = model.n_pair_contacts

    def choose(at_impact, now, vector=True):
        chosen = pt.switch(hit[..., None] if vector else hit, at_impact, now[:, round_])
        return chosen if n_round == n_candidates else pt.concatenate([chosen, now[:, n_round:]], axis=1)

    return (choose(impact_normal, normal), choose(impact_lever_a, lever_a), choose(impact_lever_b, lever_b),
            choose(impact_approach, approach, vector=False),
            choose(impact_approach_start, approach_start, vector=False), choose(tau / dt, fraction, vector=False))


def pair_contact_rows(model, kin, free_velocity, params) -> Rows:
    """Rows of all body-body contact candidates.

    kin: Kinematics of the step; free_velocity: (B, N, 6) the unconstrained velocities v*
    (forces.FreeMotion.velocity); params: normalized Params (per-body arrays (P, n_bodies)).
    """
    dtype, n, dt, solver = model.dtype, model.n_bodies, model.dt, model.solver
    body_a, body_b, distance, normal, point = pair_geometry(model, kin)
    fixed = model.fixed_mask
    # A fixed body is the world to the solvers: its side of the rows is body -1.
    side_a, side_b = np.where(fixed[body_a], -1, body_a), np.where(fixed[body_b], -1, body_b)
    lever_a = point - gather(kin.position, body_a, n, dtype)
    lever_b = point - gather(kin.position, body_b, n, dtype)

    def sides(velocity):  # (B, N, 6) -> (v_a, w_a, v_b, w_b), each (B, C, 3)
        motion_a, motion_b = gather(velocity, side_a, n, dtype), gather(velocity, side_b, n, dtype)
        return motion_a[..., :3], motion_a[..., 3:], motion_b[..., :3], motion_b[..., 3:]

    # Normal speeds (< 0: closing) over the step (v*, with which semi-implicit Euler moves the bodies)
    # and at its start.
    velocities = sides(free_velocity)
    start_velocities = sides(kin.motion0())
    approach = normal_speed(normal, lever_a, lever_b, *velocities)
    approach_start = normal_speed(normal, lever_a, lever_b, *start_velocities)
    material = pt.stack([params.body_restitution, params.body_friction], axis=-1)  # (P, N, 2)
    material_a, material_b = gather(material, body_a, n, dtype), gather(material, body_b, n, dtype)
    restitution = pt.maximum(material_a[..., 0], material_b[..., 0])
    active, bounce = normal_activity(solver, dt, distance, approach, approach_start, restitution)
    fraction = impact_fraction(dt, distance, approach, bounce)
    if len(model.pair_round_body):
        normal, lever_a, lever_b, approach, approach_start, fraction = impact_geometry(
            model, distance, normal, lever_a, lever_b, approach, approach_start, fraction, bounce, velocities,
            start_velocities)
    first, second = tangents(normal)
    # Rows in three blocks (normals, first tangents, second tangents): directions (B, 3 C, 3), and one
    # cross product per side for their angular parts.
    directions = pt.concatenate([normal, first, second], axis=1)
    tile = lambda x: pt.concatenate([x, x, x], axis=1)  # noqa: E731  (B, C, 3) -> (B, 3 C, 3)
    jac_a = pt.concatenate([directions, math3d.cross(tile(lever_a), directions)], axis=-1)
    jac_b = -pt.concatenate([directions, math3d.cross(tile(lever_b), directions)], axis=-1)
    active_f = pt.cast(active, dtype)
    target_n, mass_scale_n, impulse_scale_n = normal_coefficients(
        solver, dt, distance, approach_start, rebound_speed(approach_start, approach, fraction, restitution), active,
        bounce)
    # Inactive candidates' rows are zero, not just unbounded: a body gone non-finite must not make its
    # far neighbours' Jacobians NaN (NaN * 0 impulse is NaN), so the report names the body that failed.
    jac_a, jac_b = (pt.switch(tile(active[..., None]), jac, 0.0) for jac in (jac_a, jac_b))
    mu = pt.sqrt(material_a[..., 1] * material_b[..., 1])
    count = scatter_add(active_f, side_a, n, dtype) + scatter_add(active_f, side_b, n, dtype)
    return contact_block(side_a, side_b, jac_a, jac_b, target_n, mass_scale_n, impulse_scale_n, active_f, mu,
                         count, fraction)
