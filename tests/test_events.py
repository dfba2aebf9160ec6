"""Gradients across events: a hinge limit engaging, a motor torque saturating, a box stopping.

A loss is only piecewise smooth in a parameter that moves an event (the step at which a limit
engages, a motor saturates or friction sticks): finite differences cannot be centred on the
switch.  Each event below has closed-form slopes on both sides; the exact gradient must match
central differences away from the switch, one-sided differences on each side of it, and the
closed forms, and must stay bounded as the parameter approaches the switch.

The three mechanisms share one world and one compiled gradient (they never touch: each has its own
parameter and its own part of the loss), so the whole module costs one compile.
"""

import numpy as np
import pytest
import scipy.optimize
from conftest import G

import symphys as sp
from symphys.backend import tensor

DT = 0.01  # s
STEPS = 30  # a 0.3 s horizon
LIMIT = 0.3  # rad, upper limit of the limited hinge
MAX_TORQUE = 0.5  # N m, velocity motor
MU = 0.5  # box on ground (body friction MU^2 on a ground of 1: sqrt mixing)
ROD_HALF = (0.2, 0.02, 0.02)  # m, both rods turn about vertical hinges through their centres
BOX_HALF = (0.1, 0.15, 0.05)  # m
# Measured: switches found by bisection 3e-12 (limit, motor) and 7e-10 (box: its normal impulse is
# m g dt to that precision) from the closed forms.
SWITCH_RTOL = 1.5e-9
# Exact gradient against central differences (step 3e-5 relative; the losses are piecewise linear
# or nearly, so the step costs no truncation error): measured at most 1.3e-11 (JAX 0.12).  A step of
# 1e-4 reaches across another event at 1.27 p*: at p (1 - 1e-4) the rod ends its last step exactly on
# its limit (0.3 rad; 0.2999999976 at p), and the difference is 2.1e-6 off.
CENTRAL_STEP = 3e-5
CENTRAL_RTOL = 1.5e-9
# Against one-sided differences over a quarter of the distance to the switch: measured 1.5e-7 at
# 1e-2 (the curvature of the quaternion step's 2 atan(w dt / 2)), 3e-8 at 1e-6 (round-off).
ONE_SIDED_RTOL = 3e-7
# Against the closed-form slopes: round-off (measured 1.3e-15), except the box just before it
# stops: on its stopping step it rocks back on its corners, 0.2906 against (N - 1) dt = 0.29
# (measured 1.97e-3; the exact gradient matches the one-sided difference there).
CLOSED_FORM_RTOL = 1e-12
BOX_STOP_RTOL = 4e-3
APPROACH = (1e-2, 1e-4, 1e-6)  # relative distances to the switch


def step_angle(speed):
    """Angle (rad) turned in one step at ``speed``: q + dt/2 w q, renormalized, turns 2 atan(w dt / 2)."""
    return 2 * np.arctan(speed * DT / 2)


def step_angle_slope(speed):
    return DT / (1 + (speed * DT / 2) ** 2)


@pytest.fixture(scope="module")
def events():
    """(model, body indices, compiled (velocity, angular velocity, controls) -> losses, markers,
    gradients)."""
    world = sp.World(dt=DT)
    world.add_ground(friction=1.0)
    rod = world.add_box(half_extents=ROD_HALF, mass=1.0, position=(0, 3, 2))
    world.add_hinge(None, rod, anchor=(0, 3, 2), axis=(0, 0, 1), lower=-1.0, upper=LIMIT)
    wheel = world.add_box(half_extents=ROD_HALF, mass=1.0, position=(0, 6, 2))
    world.add_motor(world.add_hinge(None, wheel, anchor=(0, 6, 2), axis=(0, 0, 1)), max_torque=MAX_TORQUE,
                    servo=False)
    omega = 2 * np.pi * world.solver.contact_frequency
    # At the origin: the loss is its displacement, without the round-off of a large coordinate.
    box = world.add_box(half_extents=BOX_HALF, mass=2.0, friction=MU**2,
                        position=(0, 0, BOX_HALF[2] - G / omega**2))
    model = world.build()
    state = sp.symbolic_state(model)
    controls = tensor("controls", (STEPS, 1), model.dtype)
    final, trajectory = sp.rollout(model, state, STEPS, controls=controls)
    angles = sp.joint_angles(model, trajectory)  # (STEPS + 1, 2): limited hinge, motor hinge
    limit_loss = DT * angles[1:, 0].sum()  # time integral of the limited angle
    motor_loss = angles[-1, 1]
    box_loss = final.position[box.index, 0]
    markers = [angles[-1, 0], trajectory.angular_velocity[1, wheel.index, 2], final.velocity[box.index, 0]]
    wrt = [state.velocity, state.angular_velocity, controls]
    fn = sp.compile(wrt, [limit_loss, motor_loss, box_loss] + markers
                    + sp.grad(limit_loss + motor_loss + box_loss, wrt))
    start = model.initial_state()

    def evaluate(rod_speed, motor_speed, box_speed):
        """Losses, markers and the three parameters' exact gradients."""
        velocity, spin = start.velocity.copy(), start.angular_velocity.copy()
        spin[rod.index, 2] = rod_speed
        velocity[box.index, 0] = box_speed
        out = fn(velocity, spin, np.full((STEPS, 1), motor_speed))
        losses, markers = np.array(out[:3]), np.array(out[3:6])
        d_velocity, d_spin, d_controls = out[6:]
        gradient = np.array([d_spin[rod.index, 2], d_controls.sum(), d_velocity[box.index, 0]])
        return losses, markers, gradient

    inertia = model.body_inertia[wheel.index, 2]
    return evaluate, inertia


def switched(evaluate, p):
    """Which events have happened at parameters p: limit engaged, motor saturated, box still sliding."""
    _, (final_angle, first_speed, final_speed), _ = evaluate(*p)
    return np.array([final_angle < STEPS * step_angle(p[0]) - 1e-12, first_speed < p[1] - 1e-12,
                     final_speed > 1e-9])


@pytest.fixture(scope="module")
def switches(events):
    """The three switch points, found by bisection (all three at once: they are independent)."""
    evaluate, inertia = events
    low = np.array([0.5, 0.5 * MAX_TORQUE * DT / inertia, 0.5 * STEPS * MU * G * DT])
    high = 8 * low
    assert not switched(evaluate, low).any() and switched(evaluate, high).all()
    for _ in range(50):  # to ~1e-14 relative
        middle = (low + high) / 2
        now = switched(evaluate, middle)
        low, high = np.where(now, low, middle), np.where(now, middle, high)
    return (low + high) / 2


def limit_switch():
    """Speed at which the limit's speculative row engages at the last step: the row allows the
    remaining gap per step at the linear rate w dt, so it engages once w dt exceeds the gap
    LIMIT - (N - 1) 2 atan(w dt / 2)."""
    return scipy.optimize.brentq(lambda w: w * DT + (STEPS - 1) * step_angle(w) - LIMIT, 0.5, 2.0, xtol=1e-15)


def closed_form_slopes(p):
    """d loss / d parameter just below and just above each switch, at parameters p."""
    rod_speed, motor_speed, _ = p
    below_limit = DT * step_angle_slope(rod_speed) * STEPS * (STEPS + 1) / 2  # every step free
    # Engaged at the last step: theta_N = theta_(N-1) + 2 atan(gap / 2), gap = LIMIT - theta_(N-1).
    gap = LIMIT - (STEPS - 1) * step_angle(rod_speed)
    above_limit = DT * step_angle_slope(rod_speed) * (
        (STEPS - 1) * STEPS / 2 + (STEPS - 1) * (gap**2 / 4) / (1 + gap**2 / 4))
    below_motor = STEPS * step_angle_slope(motor_speed)  # at speed from the first step
    above_motor = (STEPS - 1) * step_angle_slope(motor_speed)  # the first step at max torque
    below_box = (STEPS - 1) * DT  # stops at the last step
    above_box = STEPS * DT  # slides through
    return np.array([below_limit, below_motor, below_box]), np.array([above_limit, above_motor, above_box])


def test_switches_lie_where_the_closed_forms_put_them(switches, events):
    """The limit engages when its gap closes within the last step; the motor saturates when one
    step's impulse I s exceeds max_torque dt; the box slides through when v0 > N mu g dt."""
    _, inertia = events
    rod_speed, motor_speed, box_speed = switches
    assert rod_speed == pytest.approx(limit_switch(), rel=SWITCH_RTOL)
    assert motor_speed == pytest.approx(MAX_TORQUE * DT / inertia, rel=SWITCH_RTOL)
    assert box_speed == pytest.approx(STEPS * MU * G * DT, rel=SWITCH_RTOL)


@pytest.mark.parametrize("factor", [0.73, 0.77, 1.23, 1.27])
def test_exact_gradient_matches_central_differences_away_from_the_switch(events, switches, factor):
    """Away from any switch the loss is smooth: exact gradient = central difference."""
    evaluate, _ = events
    p = switches * factor  # between the box's kinks at k mu g dt (k / N = 0.70, 0.73, 0.77, ...)
    _, _, exact = evaluate(*p)
    for i in range(3):
        eps = CENTRAL_STEP * p[i]
        plus, minus = p.copy(), p.copy()
        plus[i] += eps
        minus[i] -= eps
        central = (evaluate(*plus)[0][i] - evaluate(*minus)[0][i]) / (2 * eps)
        assert abs(central) > 0.01  # a real slope, not a zero gradient
        assert exact[i] == pytest.approx(central, rel=CENTRAL_RTOL), i


@pytest.mark.parametrize("distance", APPROACH)
def test_gradient_on_each_side_matches_one_sided_differences_and_closed_forms(events, switches, distance):
    """At p* (1 -+ d) for d down to 1e-6: exact gradient = one-sided difference taken away from the
    switch = closed-form slope of that side; it stays bounded as d -> 0 (no blow-up at the event)."""
    evaluate, _ = events
    for side in (-1, 1):
        p = switches * (1 + side * distance)
        losses, _, exact = evaluate(*p)
        below, above = closed_form_slopes(p)
        for i in range(3):
            h = distance * switches[i] / 4
            away = p.copy()
            away[i] += side * h
            one_sided = (evaluate(*away)[0][i] - losses[i]) / (side * h)
            expected = below[i] if side < 0 else above[i]
            assert exact[i] == pytest.approx(one_sided, rel=ONE_SIDED_RTOL), (i, side)
            closed_form_rtol = BOX_STOP_RTOL if (i, side) == (2, -1) else CLOSED_FORM_RTOL
            assert exact[i] == pytest.approx(expected, rel=closed_form_rtol), (i, side)
            assert abs(exact[i]) <= max(below[i], above[i]) * (1 + BOX_STOP_RTOL)
