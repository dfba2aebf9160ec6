"""Closest points between pairs of shapes: pure symbolic geometry, vectorized over candidates.

Every function takes arrays whose last axis holds 3-D components (any leading axes, e.g.
(B, C, 3) for a batch of B worlds and C candidates) and returns, per candidate, the signed
distance between the two surfaces (m, negative when they overlap), the unit contact normal
pointing from the second shape to the first, and the contact point (midway between the two
surfaces, world frame).  Spheres and capsules are "round" shapes: a segment (centre +- half *
axis, half = 0 for a sphere) swept by a radius.  Boxes are given by centre, rotation (body ->
world) and half extents.

Degenerate cases are written to keep values and gradients finite: coincident points get the
normal +z, parallel segments their overlap's midpoint (a capsule pair's two points: its two ends),
ties at the box's surface one side.
"""

from __future__ import annotations

import numpy as np

from .. import math3d
from ..backend import pt, stop_gradient
from .rows import project

TINY_SQUARED = 1e-18  # m^2: closer points than 1e-9 m count as coincident (their normal is +z)
PARALLEL = 1e-9  # 1 - cos^2 of the angle between two segment axes below which they are parallel
# A capsule pair's second point (segment_segment_second) counts only this many times the smaller radius
# along a's axis from the first: nearer, it would double the first's row (crossing capsules: 0 apart).
# Measured on 100 random crossing pairs of 5 cm capsules (/tmp/notes/helper19c_spread.py): a second point
# under 2.5 cm from the first lies as little as 5 um further out, within the soft rows' resting depth
# (g / omega^2 = 0.4 mm), a second spring on the same spot; beyond 2.5 cm at least 0.82 mm, a speculative
# row that holds nothing at rest.  Side by side, capsules' second points lie the overlap's length away.
SPREAD_RADII = 0.5
SEEK_SAMPLES = 17  # points of a capsule's axis tried against a box per level (see segment_box_point)
SEEK_LEVELS = 3  # levels of samples: 1/2048 of the axis
EDGE_SLOP = 1e-6  # m: an edge crossing nearer an edge's end than this is the corner's (box_edge_crossing)
EDGE_PREFERENCE = 1e-6  # m: an edge-edge normal must separate the boxes by this much more than a face's
TINY_SPAN = 1e-12  # m: an edge whose extent along an axis of the other box is below this is parallel to it
CORNER_REACH = 0.01  # m: how far beside a face a box corner may still sink below the face's plane (point_box)
DEPTH_SLOP = 1e-9  # m: a contact deeper than the boxes' penetration depth by less keeps its own (round-off)
FAR = 1e6  # m: the distance of a crossing that does not exist, beyond any speculative reach (1e8 m/s)


def safe_unit(vector, fallback=(0.0, 0.0, 1.0)):
    """(|vector| (...), vector / |vector| (..., 3)); below sqrt(TINY_SQUARED) the norm is 0 and the
    unit vector ``fallback``, with finite gradients (sqrt and division never see 0)."""
    squared = pt.sum(vector * vector, axis=-1)
    ok = pt.gt(squared, TINY_SQUARED)
    norm = pt.sqrt(pt.switch(ok, squared, 1.0))
    unit = pt.switch(ok[..., None], vector / norm[..., None], pt.as_tensor_variable(fallback).astype(vector.dtype))
    return pt.switch(ok, norm, 0.0), unit


def _segment_terms(centre_a, axis_a, half_a, centre_b, axis_b, half_b):
    """Terms shared by the segment-pair searches: (r = centre_a - centre_b, b = a.b, c = a.r, f = b.r,
    parallel (...) bool, s_free: a's unclamped closest parameter (m), lower, upper: a's interval
    overlapped with b's projection onto a's axis (m, may be empty: lower > upper))."""
    r = centre_a - centre_b
    b = math3d.dot(axis_a, axis_b)
    c = math3d.dot(axis_a, r)
    f = math3d.dot(axis_b, r)
    denominator = 1.0 - b * b
    parallel = pt.lt(denominator, PARALLEL)
    s_free = (b * f - c) / pt.switch(parallel, 1.0, denominator)
    # b's centre lies at -c along a.
    reach = half_b * abs(b)
    return r, b, c, f, parallel, s_free, pt.maximum(-half_a, -c - reach), pt.minimum(half_a, -c + reach)


def segment_segment(centre_a, axis_a, half_a, centre_b, axis_b, half_b):
    """Closest points (point_a, point_b) of the segments centre +- s axis, |s| <= half (Ericson 2005,
    5.1.9, written for unit axes and centred parameters).

    axis_*: unit vectors (..., 3); half_*: half lengths (m), 0 for a point.  Parallel axes take the
    midpoint of the segments' overlap (so a capsule lying along another rests at the middle of their
    common part, not at an end).  The parameter of a is recomputed from b's clamped one, a block
    coordinate-descent step that leaves the optimum unchanged and fixes the case where b's was clamped.
    """
    _, b, c, f, parallel, s_free, lower, upper = _segment_terms(centre_a, axis_a, half_a, centre_b, axis_b, half_b)
    s_overlap = 0.5 * (lower + upper)  # the middle of a's overlap with b's projection
    s = project(pt.switch(parallel, s_overlap, s_free), -half_a, half_a)
    t = project(f + b * s, -half_b, half_b)
    s = project(b * t - c, -half_a, half_a)
    return centre_a + s[..., None] * axis_a, centre_b + t[..., None] * axis_b


def segment_segment_second(centre_a, axis_a, half_a, centre_b, axis_b, half_b, second):
    """Two point pairs per pair of segments, for capsules lying along each other: (point_a, point_b,
    spread (m)), where ``second`` (...) is false the closest points (parallel axes: the nearer end of the
    overlap of b's projection onto a's axis with a), where true the other end of that overlap.

    Near-parallel segments have their closest points at one end of the overlap (the free optimum lies
    far out and is clamped), so the two pairs are its two ends: a capsule resting along another, or in
    the groove of two (a log pile), has two supports and cannot rock about a single middle one.  The
    second a-point is the first's mirror image in the overlap's middle, lower + upper - s (continuous);
    b's point is the nearest to it.  It is a true pair of points of the two segments, so its distance
    is never below the segments' distance (a crossing pair's lies further out, usually beyond any
    margin).  ``spread`` = |s_second - s_first|, 0 for the first pair: crossing segments (perpendicular
    ones exactly) have the second point on the first, which the caller switches off (round_round).
    """
    r, b, c, f, parallel, s_free, lower, upper = _segment_terms(centre_a, axis_a, half_a, centre_b, axis_b,
                                                                half_b)

    def gap_squared(s_):  # from a's point s_ to its nearest point of b
        t_ = project(f + b * s_, -half_b, half_b)
        v = r + s_[..., None] * axis_a - t_[..., None] * axis_b
        return pt.sum(v * v, axis=-1)

    # Parallel (to within sqrt(PARALLEL) rad): the nearer end of the overlap, exact up to rounding where
    # the axes are not quite parallel (the overlap's middle is off by up to its length times the angle).
    low, high = project(lower, -half_a, half_a), project(upper, -half_a, half_a)
    start = pt.switch(pt.lt(gap_squared(high), gap_squared(low)), high, low)
    s = project(pt.switch(parallel, start, s_free), -half_a, half_a)
    t = project(f + b * s, -half_b, half_b)
    s = project(b * t - c, -half_a, half_a)
    s_other = project(lower + upper - s, -half_a, half_a)
    t_other = project(f + b * s_other, -half_b, half_b)
    use = pt.gt(second, 0.5)
    s_out, t_out = pt.switch(use, s_other, s), pt.switch(use, t_other, t)
    spread = pt.switch(use, abs(s_other - s), 0.0)
    return centre_a + s_out[..., None] * axis_a, centre_b + t_out[..., None] * axis_b, spread


def round_round(centre_a, axis_a, half_a, radius_a, centre_b, axis_b, half_b, radius_b, second=None):
    """(distance (...), normal from b to a (..., 3), contact point (..., 3)) of two round shapes.

    ``second`` (...), 0 or 1 per candidate (capsule pairs have one of each): the points of
    segment_segment_second; a second point nearer the first than SPREAD_RADII times the smaller radius
    along a's axis is off (distance FAR)."""
    if second is None:
        point_a, point_b = segment_segment(centre_a, axis_a, half_a, centre_b, axis_b, half_b)
    else:
        point_a, point_b, spread = segment_segment_second(centre_a, axis_a, half_a, centre_b, axis_b, half_b, second)
    gap, normal = safe_unit(point_a - point_b)
    distance = gap - radius_a - radius_b
    if second is not None:
        off = pt.and_(pt.gt(second, 0.5), pt.lt(spread, SPREAD_RADII * pt.minimum(radius_a, radius_b)))
        distance = pt.switch(off, FAR, distance)
    # Midway between the surface points point_a - radius_a n and point_b + radius_b n.
    point = 0.5 * (point_a + point_b) + (0.5 * (radius_b - radius_a))[..., None] * normal
    return distance, normal, point


def clamp_to_box(local, half_extents):
    """The point of the box |x_i| <= half_extents_i nearest to ``local`` (box frame)."""
    return project(local, -half_extents, half_extents)


def box_signed_distance(local, half_extents):
    """(signed distance (...), its gradient (..., 3)) of box-frame points to the box |x_i| <= half_extents_i:
    Euclidean outside, minus the depth below the nearest face inside (a convex function of the point)."""
    nearest = clamp_to_box(local, half_extents)
    gap, outward = safe_unit(local - nearest)
    depth = half_extents - abs(local)
    d0, d1, d2 = depth[..., 0], depth[..., 1], depth[..., 2]
    pick0 = pt.and_(pt.le(d0, d1), pt.le(d0, d2))
    pick1 = pt.and_(pt.invert(pick0), pt.le(d1, d2))
    pick = pt.stack([pick0, pick1, pt.invert(pt.or_(pick0, pick1))], axis=-1)
    face = pt.cast(pick, local.dtype) * pt.switch(pt.ge(local, 0.0), 1.0, -1.0)
    inside = pt.le(gap, 0.0)
    return pt.switch(inside, -pt.min(depth, axis=-1), gap), pt.switch(inside[..., None], face, outward)


def segment_box_point(centre, axis, half, box_centre, box_rotation, half_extents):
    """The point of the segment centre +- s axis (|s| <= half) deepest in, or nearest to, the box.

    The box's signed distance is convex along the segment, so its minimum lies within one spacing of
    the best of evenly spaced samples: SEEK_SAMPLES samples over the segment, then as many over the
    two spacings around the best one, SEEK_LEVELS times, narrow it to 2 / (SEEK_SAMPLES - 1)^SEEK_LEVELS
    of the segment (within 0.2 mm on random capsules up to 0.8 m long near a box,
    tests/test_collision.py), with a graph of SEEK_LEVELS vectorized evaluations.  The parameter
    found carries no gradient: at the minimum the distance does not change with it (envelope theorem).
    """
    rotation_t = box_rotation.swapaxes(-1, -2)
    local_centre = math3d.matvec(rotation_t, centre - box_centre)
    local_axis = math3d.matvec(rotation_t, axis)
    fractions = pt.constant(np.linspace(0.0, 1.0, SEEK_SAMPLES).astype(centre.dtype))
    low, high = -half * pt.ones_like(local_centre[..., 0]), half * pt.ones_like(local_centre[..., 0])
    for _ in range(SEEK_LEVELS):
        params = low[..., None] + (high - low)[..., None] * fractions  # (..., M)
        distance, _ = box_signed_distance(local_centre[..., None, :] + params[..., None] * local_axis[..., None, :],
                                          half_extents[..., None, :])
        best = pt.eq(pt.arange(SEEK_SAMPLES), pt.argmin(distance, axis=-1)[..., None])
        found = pt.sum(pt.switch(best, params, 0.0), axis=-1)
        spacing = (high - low) / (SEEK_SAMPLES - 1)
        low, high = pt.maximum(found - spacing, -half), pt.minimum(found + spacing, half)
    return centre + stop_gradient(found)[..., None] * axis


def face_towards(local, half_extents):
    """(one-hot (..., 3) of a face's axis, sign (..., 3) of each coordinate, +-1): the face of the box
    |x_i| <= half_extents_i that the box-frame point ``local`` (m) lies furthest beyond, by the largest
    |local_i| - half_extents_i (ties go to the lower axis).  Its outward normal is one-hot * sign."""
    side = pt.switch(pt.ge(local, 0.0), 1.0, -1.0)
    score = abs(local) - half_extents
    s0, s1, s2 = score[..., 0], score[..., 1], score[..., 2]
    pick0 = pt.and_(pt.ge(s0, s1), pt.ge(s0, s2))
    pick1 = pt.and_(pt.invert(pick0), pt.ge(s1, s2))
    pick2 = pt.invert(pt.or_(pick0, pick1))
    return pt.cast(pt.stack([pick0, pick1, pick2], axis=-1), local.dtype), side


def point_box(point, radius, box_centre, box_rotation, half_extents, towards=None):
    """(distance, normal from the box to the point, contact point) of a sphere of ``radius`` at
    ``point`` against a box.

    Without ``towards`` (spheres, capsules): outside the box the normal runs from the box's nearest
    point; inside, it is the normal of the face nearest the point.

    With ``towards`` (..., 3), the centre of the body that carries the point (box corners, radius 0):
    the normal is that of the face the body's centre lies furthest beyond, and the distance is the
    point's height above that face's plane plus how far the point lies beside the face (outside its
    edges), continuous as a corner slides off an edge.  A corner of a box resting on an equal box
    sits exactly on the lower box's edge, as near its top face as its side faces: the exact nearest
    point would flip the normal sideways whenever the corner slides a micrometre out, and the stack
    would rock.  The distance is never below ``beside`` - CORNER_REACH: a corner far beside the face
    and below its plane (the plank's corners over a ridge's slopes, 0.2 m out) is beside the box,
    not touching it (that sum made it a contact whose 45-degree normal pushed the plank off the ridge).
    """
    rotation_t = box_rotation.swapaxes(-1, -2)
    local = math3d.matvec(rotation_t, point - box_centre)
    # The face nearest the point (the least deep below it), or the one the carrying body's centre faces.
    pick, side = face_towards(local if towards is None else math3d.matvec(rotation_t, towards - box_centre),
                              half_extents)
    face_normal = pick * side
    height = pt.sum(pick * (side * local - half_extents), axis=-1)  # above the chosen face's plane
    if towards is None:
        nearest = clamp_to_box(local, half_extents)
        gap, outward = safe_unit(local - nearest)
        inside = pt.le(gap, 0.0)
        normal_local = pt.switch(inside[..., None], face_normal, outward)
        distance = pt.switch(inside, height, gap) - radius
        on_box = pt.switch(inside[..., None], local - height[..., None] * face_normal, nearest)
    else:
        lateral = (1.0 - pick) * pt.maximum(abs(local) - half_extents, 0.0)
        beside, _ = safe_unit(lateral)
        normal_local = face_normal
        # Far beside the face, below its plane, the point is beside the box, not in it: the box lies within
        # the face's prism, so the distance is at least ``beside``; CORNER_REACH keeps the sum near the edge.
        reach = beside - CORNER_REACH
        distance = pt.switch(pt.gt(reach, height + beside), reach, height + beside) - radius
        on_box = clamp_to_box(local - height[..., None] * face_normal, half_extents)
    normal = math3d.matvec(box_rotation, normal_local)
    surface = box_centre + math3d.matvec(box_rotation, on_box)
    # Midway between the box's surface point and the sphere's (point - radius n).
    contact = 0.5 * (surface + point) - (0.5 * radius)[..., None] * normal
    return distance, normal, contact


def edge_table() -> tuple[np.ndarray, np.ndarray]:
    """(direction (8, 3, 3), offset (8, 3, 3)) one-hot axis and +-1 signs, per edge slot and face axis k,
    of the four edges of a box's face k: slots 0-3 and 4-7 (the same edges: entry and exit crossings)
    run along axis k + 1 at +- the half extent along k + 2, then along k + 2 at +- along k + 1."""
    direction, offset = np.zeros((8, 3, 3)), np.zeros((8, 3, 3))
    for slot in range(8):
        for k in range(3):
            i, j = (k + 1) % 3, (k + 2) % 3
            along, across = (i, j) if slot % 4 < 2 else (j, i)
            direction[slot, k, along] = 1.0
            offset[slot, k, across] = 1.0 if slot % 2 == 0 else -1.0
    return direction, offset


def box_edge_crossing(centre_a, rotation_a, half_a, centre_b, rotation_b, half_b, edge_direction, edge_offset,
                      exit_):
    """(distance (...), normal from b to a (..., 3), contact point (..., 3)) where an edge of box a's face
    towards b crosses an edge of box b's face towards a: the edge-edge contacts that box corners miss
    (a box across another's edge, a box turned on a box, two boxes offset along both axes).

    The faces are those the other box's centre lies furthest beyond (as the corners' in point_box).
    a's edge (edge_direction, edge_offset: (..., 3, 3) one-hot axis and signs per face axis, from
    edge_table) is clipped against the side slabs of b's face (Liang-Barsky): its entry (exit_ = 0) or
    exit (exit_ = 1) point is where it crosses one of b's face edges, seen along b's face normal.  A
    crossing exists only strictly inside both edges, EDGE_SLOP (m) from their ends: a crossing at a
    corner is that corner's, whose row already holds it (a second row there would stiffen the soft
    contact and change the resting depth).  Where none exists the distance is FAR.

    The normal is the separating axis (Gottschalk 1996; Ericson 2005, 5.2.1) with the largest gap
    between the boxes' projections among b's face normal, a's face normal and the two edges' cross
    product, the faces kept unless the edge axis separates more by EDGE_PREFERENCE; the distance is
    the two edges' separation along it (negative: overlap), and the contact point their midpoint.
    """
    rot_a_t, rot_b_t = rotation_a.swapaxes(-1, -2), rotation_b.swapaxes(-1, -2)
    between = centre_a - centre_b
    pick_a, side_a = face_towards(math3d.matvec(rot_a_t, -between), half_a)
    direction = pt.sum(pick_a[..., :, None] * edge_direction, axis=-2)  # one-hot along the edge, a's frame
    offset = pt.sum(pick_a[..., :, None] * edge_offset, axis=-2) + pick_a * side_a
    start = centre_a + math3d.matvec(rotation_a, (offset - direction) * half_a)
    span = math3d.matvec(rotation_a, 2.0 * direction * half_a)  # start -> end of the edge (m)
    length = 2.0 * pt.sum(direction * half_a, axis=-1)

    pick_b, side_b = face_towards(math3d.matvec(rot_b_t, between), half_b)
    start_b, span_b = math3d.matvec(rot_b_t, start - centre_b), math3d.matvec(rot_b_t, span)  # b's frame
    moving = pt.gt(abs(span_b), TINY_SPAN)
    span_safe = pt.switch(moving, span_b, 1.0)
    t_low, t_high = (-half_b - start_b) / span_safe, (half_b - start_b) / span_safe
    inside = pt.le(abs(start_b), half_b)
    in_plane = pt.lt(pick_b, 0.5)  # b's face normal axis bounds nothing
    enter = pt.switch(in_plane, pt.switch(moving, pt.minimum(t_low, t_high), pt.switch(inside, -FAR, FAR)), -FAR)
    leave = pt.switch(in_plane, pt.switch(moving, pt.maximum(t_low, t_high), pt.switch(inside, FAR, -FAR)), FAR)
    t_in, t_out = pt.max(enter, axis=-1), pt.min(leave, axis=-1)
    use_exit = pt.gt(exit_, 0.5)
    t = pt.switch(use_exit, t_out, t_in)
    axes = pt.arange(3)
    crossed = pt.cast(pt.eq(axes, pt.switch(use_exit, pt.argmin(leave, axis=-1), pt.argmax(enter, axis=-1))[..., None]),
                      start.dtype)  # the slab whose side the crossing lies on
    along_b = (1.0 - crossed) * (1.0 - pick_b)  # one-hot: the axis b's crossed edge runs along
    t_clip = project(t, 0.0, 1.0)
    crossing_b = start_b + t_clip[..., None] * span_b
    crossing_along_b = pt.sum(along_b * crossing_b, axis=-1)  # b's frame coordinate along b's edge
    room_b = pt.sum(along_b * (half_b - abs(crossing_b)), axis=-1)  # from the crossing to the ends of b's edge
    valid = pt.and_(pt.and_(pt.le(t_in, t_out), pt.gt(room_b, EDGE_SLOP)),
                    pt.and_(pt.gt(t * length, EDGE_SLOP), pt.gt((1.0 - t) * length, EDGE_SLOP)))

    point_a = start + t_clip[..., None] * span
    # b's edge is the line on b's face plane, on the crossed slab's side, along along_b: the foot of point_a.
    foot = (crossed * pt.switch(pt.ge(crossing_b, 0.0), 1.0, -1.0) + pick_b * side_b) * half_b + along_b * crossing_b
    point_b = centre_b + math3d.matvec(rotation_b, foot)
    face_b = math3d.matvec(rotation_b, pick_b * side_b)  # b's outward face normal: from b to a
    face_a = -math3d.matvec(rotation_a, pick_a * side_a)
    edge_a, edge_b = math3d.matvec(rotation_a, direction), math3d.matvec(rotation_b, along_b)
    _, across = safe_unit(math3d.cross(edge_a, edge_b))
    across = across * pt.switch(pt.ge(math3d.dot(across, between), 0.0), 1.0, -1.0)[..., None]

    gap = lambda axis: box_box_gap(between, rotation_a, half_a, rotation_b, half_b, axis)  # noqa: E731

    gap_edge, gap_b, gap_a = gap(across), gap(face_b), gap(face_a)
    use_edge = pt.gt(gap_edge, pt.maximum(gap_a, gap_b) + EDGE_PREFERENCE)
    use_a = pt.and_(pt.invert(use_edge), pt.gt(gap_a, gap_b))
    normal = pt.switch(use_edge[..., None], across, pt.switch(use_a[..., None], face_a, face_b))
    # The crossing seen along the chosen normal (the common perpendicular for the edge axis): move along
    # both edge lines until point_a - point_b is parallel to it, two equations in the plane normal to it.
    flat = lambda v: v - math3d.dot(v, normal)[..., None] * normal  # noqa: E731
    flat_a, flat_b, flat_r = flat(edge_a), flat(edge_b), flat(point_a - point_b)
    aa, ab, bb = math3d.dot(flat_a, flat_a), math3d.dot(flat_a, flat_b), math3d.dot(flat_b, flat_b)
    ar, br = math3d.dot(flat_a, flat_r), math3d.dot(flat_b, flat_r)
    determinant = ab * ab - aa * bb  # -|flat_a x flat_b|^2
    solvable = pt.lt(determinant, -PARALLEL)
    det_safe = pt.switch(solvable, determinant, -1.0)
    # ... and no further than the edges' ends (near-parallel edges would slide far along their lines).
    along_a = project(pt.switch(solvable, (ar * bb - ab * br) / det_safe, 0.0), -t_clip * length,
                      (1.0 - t_clip) * length)
    reach_b = pt.sum(along_b * half_b, axis=-1)
    along_b_line = project(pt.switch(solvable, (ab * ar - aa * br) / det_safe, 0.0), -reach_b - crossing_along_b,
                           reach_b - crossing_along_b)
    point_a = point_a + along_a[..., None] * edge_a
    point_b = point_b + along_b_line[..., None] * edge_b
    # Where the boxes are apart along an axis not among the three above, the crossing is not a contact.
    distance = no_deeper_than_the_boxes(math3d.dot(normal, point_a - point_b), between, rotation_a, half_a,
                                        rotation_b, half_b)
    return pt.switch(valid, distance, FAR), normal, 0.5 * (point_a + point_b)


def no_deeper_than_the_boxes(distance, between, rotation_a, half_a, rotation_b, half_b):
    """``distance`` (m) of a contact between boxes a and b, raised to the boxes' separating-axis gap
    where it lies below it by more than DEPTH_SLOP: the largest gap over the 15 axes is minus the
    penetration depth of two overlapping boxes and a lower bound of the distance of two apart ones, so
    no contact between them is deeper.  The gap is picked by its argmax, so that ties between equal
    axes (stacked boxes) do not double its gradient."""
    gaps = box_box_gap(between, rotation_a, half_a, rotation_b, half_b, separating_axes(rotation_a, rotation_b))
    best = pt.eq(pt.arange(15), pt.argmax(gaps, axis=-1)[..., None])
    lowest = pt.sum(pt.switch(best, gaps, 0.0), axis=-1)
    return pt.switch(pt.gt(lowest, distance + DEPTH_SLOP), lowest, distance)


def box_box_gap(between, rotation_a, half_a, rotation_b, half_b, axis):
    """Gap (m) between the projections of boxes a and b on unit axes (..., [K,] 3), negative where they
    overlap; between: centre a - centre b (..., 3); rotation_*: body -> world (..., 3, 3); half_*: (..., 3).
    A zero axis (parallel edges) gets -FAR."""
    extra = axis.ndim - between.ndim  # 1 for a stack of K axes
    expand = lambda x, k: x if extra == 0 else pt.shape_padaxis(x, k)  # noqa: E731
    in_a = pt.sum(expand(rotation_a, -3) * axis[..., :, None], axis=-2)  # axis components in a's frame
    in_b = pt.sum(expand(rotation_b, -3) * axis[..., :, None], axis=-2)
    gap = (abs(pt.sum(expand(between, -2) * axis, axis=-1)) - pt.sum(expand(half_a, -2) * abs(in_a), axis=-1)
           - pt.sum(expand(half_b, -2) * abs(in_b), axis=-1))
    return pt.switch(pt.gt(pt.sum(axis * axis, axis=-1), 0.5), gap, -FAR)


def separating_axes(rotation_a, rotation_b):
    """The 15 candidate separating axes (..., 15, 3) of two boxes (Gottschalk 1996): a's and b's face
    normals, and the unit cross products of their edges (zero where two edges are parallel)."""
    axes_a, axes_b = rotation_a.swapaxes(-1, -2), rotation_b.swapaxes(-1, -2)  # rows: the boxes' axes
    crossed = math3d.cross(pt.shape_padaxis(axes_a, -2), pt.shape_padaxis(axes_b, -3))  # (..., 3, 3, 3)
    crossed = pt.reshape(crossed, [crossed.shape[k] for k in range(crossed.ndim - 3)] + [9, 3])
    norm, unit = safe_unit(crossed, (0.0, 0.0, 0.0))
    return pt.concatenate([axes_a, axes_b, pt.switch(pt.gt(norm, 1e-6)[..., None], unit, 0.0)], axis=-2)


__all__ = ["box_edge_crossing", "box_box_gap", "no_deeper_than_the_boxes", "separating_axes", "edge_table",
           "face_towards", "round_round", "segment_segment", "segment_segment_second", "segment_box_point",
           "point_box", "safe_unit", "clamp_to_box", "box_signed_distance"]
