"""Which bodies may touch each other, and the contact candidates of each such pair (numpy, build time).

A pair of bodies is a candidate when it passes MuJoCo's collision filter, ``(contype_a &
conaffinity_b) or (contype_b & conaffinity_a)``, is not joined by a joint, is not excluded by
``World.exclude_contact`` and has at least one movable body.  Each candidate pair gets a fixed set
of contact candidates (each one a normal and two friction rows with a switch on distance), of two
kinds that the step evaluates vectorized, one set of graph operations per kind:

- round-round (sphere or capsule against sphere or capsule): the closest points of the two
  segments (a sphere is a segment of length 0); capsule against capsule 2 candidates, the second
  the other end of the segments' overlap, which lying side by side they touch along
  (physics/collision.py, segment_segment_second);
- point-box: a sphere (radius 0 for a box corner) fixed in one body against a box: 1 for a sphere,
  3 for a capsule (its two end spheres and the point of its axis nearest the box), 16 for two
  boxes (each one's 8 corners against the other's faces);
- edge crossings (two boxes): 8 more, where the edges of one box's face towards the other enter and
  leave the other's facing face (physics/collision.py, box_edge_crossing): a box across another's
  edge, turned on it or offset along both axes rests on them where no corner touches a face.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .model import Shape

ROWS_PER_CANDIDATE = 3  # a normal and two friction rows
# A step holds per-row Jacobians (B, R, 6) per side, Gauss-Seidel serializes each body's rows and
# Newton forms a dense (R, 6 N) Jacobian: 30,000 rows (all pairs of 141 spheres) is where one step's
# arrays pass ~100 MB and a Gauss-Seidel sweep ~400 colours.
MAX_PAIR_ROWS = 30_000
EDGE_SLOTS = 8  # edge crossings per box pair: 4 edges of a face, each entering and leaving the other's face
CORNER_SIGNS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=float)


@dataclasses.dataclass(frozen=True)
class PairCandidates:
    """Contact candidates between bodies, as the Model stores them."""

    round_body: np.ndarray  # (C_r, 2) int: bodies a, b (normal from b to a)
    round_half: np.ndarray  # (C_r, 2) m: half length of each segment along its body z (0: sphere)
    round_radius: np.ndarray  # (C_r, 2) m
    round_second: np.ndarray  # (C_r,) bool: a capsule pair's second point (the other end of their overlap)
    box_body: np.ndarray  # (C_b, 2) int: the body carrying the point, the box
    box_offset: np.ndarray  # (C_b, 3) m: the point (segment centre) in its body's frame
    box_half: np.ndarray  # (C_b,) m: half length along the body's z over which the point seeks the box
    box_radius: np.ndarray  # (C_b,) m: 0 for a box corner
    box_corner: np.ndarray  # (C_b,) bool: a box corner (its face is chosen by the bodies' centres)
    edge_body: np.ndarray  # (C_e, 2) int: two boxes, EDGE_SLOTS candidates per pair
    edge_slot: np.ndarray  # (C_e,) int: which edge of a's face towards b, entry (0-3) or exit (4-7) crossing

    @property
    def n_candidates(self) -> int:
        return len(self.round_body) + len(self.box_body) + len(self.edge_body)


def bounding_radius(body: dict) -> float:
    """Radius (m) of the smallest sphere about a body's centre that holds its shape."""
    size = body["size"]
    if body["shape"] == Shape.SPHERE:
        return float(size[0])
    if body["shape"] == Shape.CAPSULE:
        return float(size[0] + size[1])
    return float(np.linalg.norm(size))


def collides(contype_a: int, conaffinity_a: int, contype_b: int, conaffinity_b: int) -> bool:
    """MuJoCo's filter: a pair may collide if one's contype shares a bit with the other's conaffinity."""
    return bool((contype_a & conaffinity_b) or (contype_b & conaffinity_a))


def candidate_pairs(bodies: list[dict], joined: set, excluded: set) -> list[tuple[int, int]]:
    """Body index pairs (a < b) that may touch.  bodies: dicts with contype, conaffinity, fixed;
    joined/excluded: sets of frozenset({a, b})."""
    pairs = []
    for a in range(len(bodies)):
        for b in range(a + 1, len(bodies)):
            key = frozenset((a, b))
            if key in joined or key in excluded or (bodies[a]["fixed"] and bodies[b]["fixed"]):
                continue
            if collides(bodies[a]["contype"], bodies[a]["conaffinity"], bodies[b]["contype"],
                        bodies[b]["conaffinity"]):
                pairs.append((a, b))
    return pairs


def pair_candidates(bodies: list[dict], pairs: list[tuple[int, int]], dtype) -> PairCandidates:
    """The contact candidates of each body pair.  bodies: dicts with shape and size (Model body_size)."""
    round_rows, box_rows, edge_rows = [], [], []

    def round_of(index):  # (half length, radius) of a sphere or capsule
        size = bodies[index]["size"]
        return (0.0, size[0]) if bodies[index]["shape"] == Shape.SPHERE else (size[1], size[0])

    def points_against_box(point_body, box):
        shape, size = bodies[point_body]["shape"], bodies[point_body]["size"]
        if shape == Shape.SPHERE:
            box_rows.append((point_body, box, np.zeros(3), 0.0, size[0], False))
        elif shape == Shape.CAPSULE:
            radius, half = size[0], size[1]
            for end in (-half, half):
                box_rows.append((point_body, box, np.array([0.0, 0.0, end]), 0.0, radius, False))
            box_rows.append((point_body, box, np.zeros(3), half, radius, False))
        else:
            for corner in CORNER_SIGNS * size:
                box_rows.append((point_body, box, corner, 0.0, 0.0, True))

    for a, b in pairs:
        shape_a, shape_b = bodies[a]["shape"], bodies[b]["shape"]
        if shape_a != Shape.BOX and shape_b != Shape.BOX:
            (half_a, radius_a), (half_b, radius_b) = round_of(a), round_of(b)
            for second in (False, True) if half_a > 0 and half_b > 0 else (False,):
                round_rows.append(((a, b), (half_a, half_b), (radius_a, radius_b), second))
        elif shape_b == Shape.BOX:
            points_against_box(a, b)
            if shape_a == Shape.BOX:
                points_against_box(b, a)
                edge_rows.extend((a, b, slot) for slot in range(EDGE_SLOTS))
        else:
            points_against_box(b, a)

    def column(rows, k, shape, kind=dtype):
        return np.array([r[k] for r in rows], dtype=kind).reshape(shape)

    n_r, n_b, n_e = len(round_rows), len(box_rows), len(edge_rows)
    return PairCandidates(
        round_body=column(round_rows, 0, (n_r, 2), np.int64), round_half=column(round_rows, 1, (n_r, 2)),
        round_radius=column(round_rows, 2, (n_r, 2)), round_second=column(round_rows, 3, (n_r,), bool),
        box_body=np.array([(r[0], r[1]) for r in box_rows], dtype=np.int64).reshape(n_b, 2),
        box_offset=column(box_rows, 2, (n_b, 3)), box_half=column(box_rows, 3, (n_b,)),
        box_radius=column(box_rows, 4, (n_b,)), box_corner=column(box_rows, 5, (n_b,), bool),
        edge_body=np.array([r[:2] for r in edge_rows], dtype=np.int64).reshape(n_e, 2),
        edge_slot=np.array([r[2] for r in edge_rows], dtype=np.int64))


def check_row_count(candidates: PairCandidates, n_pairs: int) -> None:
    """ValueError when the candidates' rows exceed MAX_PAIR_ROWS, saying how to remove pairs."""
    rows = ROWS_PER_CANDIDATE * candidates.n_candidates
    if rows > MAX_PAIR_ROWS:
        raise ValueError(
            f"body contacts: {n_pairs} body pairs may touch, giving {rows} candidate contact rows, more than the "
            f"limit of {MAX_PAIR_ROWS} (every row costs time in every solver sweep). Remove pairs that cannot touch "
            "with world.exclude_contact(a, b), or with collision groups: contype/conaffinity bit masks on add_* "
            "(a pair collides if contype_a & conaffinity_b or contype_b & conaffinity_a; contype=0, conaffinity=0 "
            "keeps a body out of body contacts)")


__all__ = ["PairCandidates", "candidate_pairs", "pair_candidates", "check_row_count", "collides", "bounding_radius",
           "MAX_PAIR_ROWS", "EDGE_SLOTS"]
