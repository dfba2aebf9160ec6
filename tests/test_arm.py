"""The arm's fixed-target task (slow: 150 rollouts of 8 s with gradients)."""

import numpy as np
import pytest

import symphys as sp
from symphys_models import arm


def test_arm_model_matches_the_paper_spec():
    model = arm.build_model()
    assert model.body_mass.sum() == pytest.approx(32.0)
    assert model.n_motors == 4 and len(model.hinge_index) == 4
    np.testing.assert_allclose(model.motor_max_torque, 30.0)
    np.testing.assert_allclose(model.motor_max_speed, np.radians(45.0))
    limited = np.isfinite(model.joint_lower)
    np.testing.assert_allclose(model.joint_upper[limited], np.pi / 2)
    assert model.solver_method == "gauss_seidel"
    # Reach: 1 m from the shoulder, the tip starts at (1, 0, 0).
    state = sp.symbolic_state(model)
    tip = arm.end_effector(model, state.position, state.orientation)
    (value,) = sp.compile([], [tip])()
    np.testing.assert_allclose(value, [1.0, 0.0, 0.0], atol=1e-12)


@pytest.mark.slow
def test_fixed_target_within_1_cm_after_150_rollouts():
    task = arm.FixedTargetTask(seed=0)
    result, _ = arm.train_backprop(task, evaluations=150, progress=False)
    assert result.final_distance < 0.01, result
