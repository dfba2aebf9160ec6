"""When a contact's normal row acts and what it asks for: one set of rules for ground and body-body contacts.

A candidate (ground: contacts.py, body-body: pair_contacts.py) is a gap ``distance`` (m, < 0 when
the surfaces overlap) and the normal speed of its surfaces over the step, ``approach`` (m/s, < 0
when closing): that of the unconstrained velocities v* = v + dt M^-1 f, with which semi-implicit
Euler moves the bodies.  Its normal row is active while the gap is below ``contact_margin`` plus
the distance the surfaces close in one step (a speculative contact), and then it is one of:

- a bounce (arriving faster than ``restitution_threshold`` at the start of the step, restitution
  e > 0, and the gap closes within this step): rigid, target the rebound speed (``rebound_speed``:
  e times the speed at the time of impact);
- across a gap (the surfaces are more than TOUCH_SLOP apart): rigid, target -gap / dt, so the gap
  closes within the step and no further, and fast bodies neither sink in nor pass through;
- an impact that does not bounce (touching, approach faster than the threshold, no bounce: a
  plastic hit, or the step after a speculative row closed a gap at speed): rigid, target 0, so
  the approach stops exactly; the soft spring would let the surfaces sink in and push them apart
  again, a hop of up to ``max_push_velocity``;
- touching: Catto's soft spring (Catto 2011, "Soft Step"), which pushes out of an overlap and
  rests at the depth g / (2 pi f)^2.

Inactive rows' targets are 0; the callers also give them zero bounds (and pairs zero Jacobians).

A bounce acts in the step in which the gap closes, while the surfaces are still up to one step's
travel apart.  Its ``impact_fraction`` tau (the part of the step before the surfaces touch) places
the impact within the step: the step moves the bodies at their approach speed for tau and at their
rebound speed after it (step.position_velocity), so a body turns on the surface, not above it, and
the rebound speed is e times the speed at the time of impact.  Both are continuous in the time of
impact: a bounce that moves into the next step moves the trajectory by little, and its gradient
stays finite.  A 1 m drop at dt 0.01 rises to e^2 h within 0.1 mm at any phase of the step (a
1-D model of the rule; turning at the start of the step gave -80 to +4 mm).
"""

from ..backend import pt
from .rows import soft_coefficients

# m: a gap this small counts as touching (the soft row).  A speculative row sets a body down exactly
# on a surface, a gap of +-1e-17 m by round-off; the rigid speculative row would then hold it there
# or not by chance, where the soft row lets it sink to its resting depth.
TOUCH_SLOP = 1e-6


def normal_activity(solver, dt: float, distance, approach, approach_start, restitution):
    """(active, bounce), booleans (B, C): the rows that act, and those of them that bounce this step.

    solver: SolverOptions; dt: time step (s); distance: gap (B, C) m; approach: normal speed over
    the step (B, C) m/s, < 0 closing; approach_start: the state's, at the start of the step (what
    the restitution threshold is compared with: a body resting on a surface has 0 there, and -g dt
    over the step); restitution: (B|P, C) coefficient e.
    """
    closing = pt.maximum(-approach, 0.0)
    active = pt.lt(distance, solver.contact_margin + dt * closing)
    # Bounce only when the gap closes within this step: a farther candidate is held by its speculative row.
    bounce = pt.and_(pt.and_(fast(solver, approach_start), pt.gt(restitution, 0.0)),
                     pt.lt(distance + dt * approach, 0.0))
    return active, bounce


def fast(solver, approach_start):
    """(B, C) bool: the surfaces arrive faster than the restitution threshold."""
    return pt.lt(approach_start, -solver.restitution_threshold)


def impact_fraction(dt: float, distance, approach, bounce):
    """(B, C) tau, the part of the step (0 to 1) before a bouncing row's surfaces touch; 0 for rows
    that do not bounce.

    dt: time step (s); distance: gap (B, C) m; approach: normal speed over the step (B, C) m/s;
    bounce: from ``normal_activity``.
    """
    closing_distance = pt.switch(bounce, -approach * dt, 1.0)  # m, > 0 where bouncing
    return pt.switch(bounce, pt.clip(distance / closing_distance, 0.0, 1.0), 0.0)


def rebound_speed(approach_start, approach, fraction, restitution):
    """(B, C) m/s the normal speed a bounce leaves the step with (a rigid row's target).

    Semi-implicit Euler's velocities are those of the half steps: the state's (``approach_start``,
    before forces) is the speed half a step before the step begins, v* (``approach``) half a step
    after.  The speed at the impact, tau into the step, lies between them:
    v_impact = v_start + (tau + 1/2) (v* - v_start).  The rebound -e v_impact is then carried to
    the half step like v* was, by the forces' change (1/2 - tau) (v* - v_start).  Without forces it
    is -e approach.
    """
    change = approach - approach_start  # what the forces (gravity) add over one step
    at_impact = approach_start + (fraction + 0.5) * change
    return -restitution * at_impact + (0.5 - fraction) * change


def normal_coefficients(solver, dt: float, distance, approach_start, rebound, active, bounce):
    """(target m/s, mass_scale, impulse_scale), each (B, C), of the normal rows (Rows' fields).

    approach_start: normal speed at the start of the step (``normal_activity``); rebound:
    ``rebound_speed``; active and bounce come from ``normal_activity``.
    """
    touching = pt.le(distance, TOUCH_SLOP)
    bias_rate, soft_mass, soft_impulse = soft_coefficients(solver.contact_frequency, solver.contact_damping_ratio, dt)
    push_out = pt.minimum(-bias_rate * distance, solver.max_push_velocity)
    impact = pt.and_(pt.and_(touching, fast(solver, approach_start)), pt.invert(bounce))
    target = pt.switch(bounce, rebound, pt.switch(touching, pt.switch(impact, 0.0, push_out), -distance / dt))
    rigid = pt.or_(pt.or_(bounce, impact), pt.invert(touching))
    ones = pt.ones_like(distance)
    return (pt.switch(active, target, 0.0), pt.switch(rigid, 1.0, soft_mass) * ones,
            pt.switch(rigid, 0.0, soft_impulse) * ones)
