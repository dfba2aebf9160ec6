"""Closest points between pairs of shapes: pure symbolic geometry, vectorized over candidates.

Every function takes arrays whose last axis holds 3-D components (any leading axes, e.g.
(B, C, 3) for a batch of B worlds and C candidates) and returns, per candidate, the signed
distance between the two surfaces (m, negative when they overlap), the unit contact normal
pointing from the second shape to the first, and the contact point (midway between the two
surfaces, world frame).  Spheres and capsules are "round" shapes: a segment (centre +- half *
axis, half = 0 for a sphere) swept by a radius.  Boxes are given by centre, rotation (body ->
world) and half extents.

Degenerate cases are written to keep values and gradients finite: coincident points get the
normal +z, parallel segments their overlap's midpoint, ties at the box's surface one side.
"""

from __future__ import annotations

import numpy as np

from .. import math3d
from ..backend import pt, stop_gradient
from .rows import project

TINY_SQUARED = 1e-18  # m^2: closer points than 1e-9 m count as coincident (their normal is +z)
PARALLEL = 1e-9  # 1 - cos^2 of the angle between two segment axes below which they are parallel
SEEK_SAMPLES = 17  # points of a capsule's axis tried against a box per level (see segment_box_point)
SEEK_LEVELS = 3  # levels of samples: 1/2048 of the axis


def safe_unit(vector, fallback=(0.0, 0.0, 1.0)):
    """(|vector| (...), vector / |vector| (..., 3)); below sqrt(TINY_SQUARED) the norm is 0 and the
    unit vector ``fallback``, with finite gradients (sqrt and division never see 0)."""
    squared = pt.sum(vector * vector, axis=-1)
    ok = pt.gt(squared, TINY_SQUARED)
    norm = pt.sqrt(pt.switch(ok, squared, 1.0))
    unit = pt.switch(ok[..., None], vector / norm[..., None], pt.as_tensor_variable(fallback).astype(vector.dtype))
    return pt.switch(ok, norm, 0.0), unit


def segment_segment(centre_a, axis_a, half_a, centre_b, axis_b, half_b):
    """Closest points (point_a, point_b) of the segments centre +- s axis, |s| <= half (Ericson 2005,
    5.1.9, written for unit axes and centred parameters).

    axis_*: unit vectors (..., 3); half_*: half lengths (m), 0 for a point.  Parallel axes take the
    midpoint of the segments' overlap (so a capsule lying along another rests at the middle of their
    common part, not at an end).  The parameter of a is recomputed from b's clamped one, a block
    coordinate-descent step that leaves the optimum unchanged and fixes the case where b's was clamped.
    """
    r = centre_a - centre_b
    b = math3d.dot(axis_a, axis_b)
    c = math3d.dot(axis_a, r)
    f = math3d.dot(axis_b, r)
    denominator = 1.0 - b * b
    parallel = pt.lt(denominator, PARALLEL)
    s_free = (b * f - c) / pt.switch(parallel, 1.0, denominator)
    # Overlap of a's interval with b's projected onto a's axis: b's centre lies at -c along a.
    reach = half_b * abs(b)
    s_overlap = 0.5 * (pt.maximum(-half_a, -c - reach) + pt.minimum(half_a, -c + reach))
    s = project(pt.switch(parallel, s_overlap, s_free), -half_a, half_a)
    t = project(f + b * s, -half_b, half_b)
    s = project(b * t - c, -half_a, half_a)
    return centre_a + s[..., None] * axis_a, centre_b + t[..., None] * axis_b


def round_round(centre_a, axis_a, half_a, radius_a, centre_b, axis_b, half_b, radius_b):
    """(distance (...), normal from b to a (..., 3), contact point (..., 3)) of two round shapes."""
    point_a, point_b = segment_segment(centre_a, axis_a, half_a, centre_b, axis_b, half_b)
    gap, normal = safe_unit(point_a - point_b)
    distance = gap - radius_a - radius_b
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
    would rock.
    """
    rotation_t = box_rotation.swapaxes(-1, -2)
    local = math3d.matvec(rotation_t, point - box_centre)
    if towards is None:
        side = pt.switch(pt.ge(local, 0.0), 1.0, -1.0)
        score = abs(local) - half_extents  # -(depth below each face pair)
    else:
        beyond = math3d.matvec(rotation_t, towards - box_centre)
        side = pt.switch(pt.ge(beyond, 0.0), 1.0, -1.0)
        score = abs(beyond) - half_extents
    # One-hot of the face axis with the largest score (ties go to the lower axis).
    s0, s1, s2 = score[..., 0], score[..., 1], score[..., 2]
    pick0 = pt.and_(pt.ge(s0, s1), pt.ge(s0, s2))
    pick1 = pt.and_(pt.invert(pick0), pt.ge(s1, s2))
    pick2 = pt.invert(pt.or_(pick0, pick1))
    pick = pt.cast(pt.stack([pick0, pick1, pick2], axis=-1), point.dtype)
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
        distance = height + beside - radius
        on_box = clamp_to_box(local - height[..., None] * face_normal, half_extents)
    normal = math3d.matvec(box_rotation, normal_local)
    surface = box_centre + math3d.matvec(box_rotation, on_box)
    # Midway between the box's surface point and the sphere's (point - radius n).
    contact = 0.5 * (surface + point) - (0.5 * radius)[..., None] * normal
    return distance, normal, contact


__all__ = ["round_round", "segment_segment", "segment_box_point", "point_box", "safe_unit", "clamp_to_box",
           "box_signed_distance"]
