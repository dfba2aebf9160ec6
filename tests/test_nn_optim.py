"""MLP controllers (symbolic and numpy), optimizers and the gradient-scaling op."""

import numpy as np
import pytest

import symphys as sp
from symphys.learn import nn, optim


def test_mlp_forward_matches_numpy_and_counts_parameters():
    net = nn.MLP((3, 16, 8, 2), activation="tanh")
    weights = net.init(seed=3)
    assert net.n_parameters == sum(w.size for w in weights) == (3 + 1) * 16 + (16 + 1) * 8 + (8 + 1) * 2
    symbolic = net.symbolic(seed=3)
    x = sp.backend.tensor("x", (5, 3), "float64")
    fn = sp.compile([x], [net.apply(symbolic, x)])
    inputs = np.random.default_rng(0).normal(size=(5, 3))
    h = np.tanh(inputs @ weights[0] + weights[1])
    h = np.tanh(h @ weights[2] + weights[3])
    np.testing.assert_allclose(fn(inputs)[0], h @ weights[4] + weights[5], atol=1e-12)


@pytest.mark.parametrize("activation", sorted(nn.ACTIVATIONS))
def test_numpy_forward_matches_the_graph(activation):
    net = nn.MLP((3, 6, 2), activation=activation, output_activation=activation, output_scale=1.5)
    weights = [3 * w for w in net.init(seed=2)]  # values of both signs, past elu's and softplus's bends
    symbolic = net.symbolic(seed=2)
    x = sp.backend.tensor("x", (7, 3), "float64")
    fn = sp.compile([x] + symbolic, [net.apply(symbolic, x)])
    inputs = np.random.default_rng(1).normal(size=(7, 3))
    np.testing.assert_allclose(net.apply_numpy(weights, inputs), fn(inputs, *weights)[0], rtol=1e-12, atol=1e-12)


def test_zero_output_layer_starts_still():
    net = nn.MLP((2, 8, 3), zero_output=True)
    weights = net.init()
    assert not np.any(weights[-1]) and not np.any(weights[-2]) and np.any(weights[0])


def test_bad_mlp_arguments():
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP((3,))
    with pytest.raises(ValueError, match="activation"):
        nn.MLP((3, 2), activation="swish")


def test_scale_gradient_is_identity_forward_and_scales_gradient():
    x = sp.backend.tensor("x", (3,), "float64")
    y = sp.backend.scale_gradient(x, 0.5)
    fn = sp.compile([x], [y, sp.grad(y.sum(), x)])
    value, gradient = fn(np.array([1.0, -2.0, 3.0]))
    np.testing.assert_allclose(value, [1.0, -2.0, 3.0])
    np.testing.assert_allclose(gradient, 0.5)


def test_adam_and_gradient_descent_minimize_a_quadratic():
    target = np.array([1.0, -2.0, 0.5])
    for optimizer in (optim.Adam(learning_rate=0.1), optim.GradientDescent(0.1, momentum=0.5)):
        params = [np.zeros(3)]
        for _ in range(300):
            params = optimizer.step(params, [2 * (params[0] - target)])
        np.testing.assert_allclose(params[0], target, atol=1e-3)


def test_clip_by_global_norm():
    grads, norm = optim.clip_by_global_norm([np.array([3.0, 0.0]), np.array([4.0])], 1.0)
    assert norm == pytest.approx(5.0)
    assert optim.global_norm(grads) == pytest.approx(1.0)
    with pytest.raises(FloatingPointError):
        optim.clip_by_global_norm([np.array([np.nan])], 1.0)


def test_mlp_controller_gradient_through_physics_matches_finite_differences():
    """A network maps the joint angle to a servo target; gradients of the
    final tip position with respect to its weights agree with finite differences."""
    world = sp.World(dt=0.01)
    rod = world.add_box(half_extents=(0.02, 0.02, 0.25), mass=1.0, position=(0, 0, 0.25))
    hinge = world.add_hinge(None, rod, anchor=(0, 0, 0), axis=(0, 1, 0))
    world.add_motor(hinge, max_torque=20.0, gain=10.0, max_speed=2.0)
    model = world.build()
    net = nn.MLP((2, 8, 1), activation="tanh", output_activation="tanh", output_scale=1.0)
    weights = net.symbolic(seed=1)

    def controller(state, step):
        angle = sp.joint_angles(model, state)  # (batch, 1)
        phase = sp.backend.pt.cast(step, model.dtype) * 0.05 + 0 * angle
        return net.apply(weights, sp.backend.pt.concatenate([angle, phase], axis=-1))

    state = sp.symbolic_state(model)
    final, _ = sp.rollout(model, state, 40, controller=controller)
    loss = final.position[0, 0]
    fn = sp.compile(weights, [loss] + sp.grad(loss, weights))
    values = net.init(seed=1)
    out = fn(*values)
    assert abs(out[0]) > 1e-3
    eps = 1e-6
    for layer, index in [(0, (0, 3)), (1, (5,)), (2, (4, 0)), (3, (0,))]:
        plus = [v.copy() for v in values]
        minus = [v.copy() for v in values]
        plus[layer][index] += eps
        minus[layer][index] -= eps
        numeric = (fn(*plus)[0] - fn(*minus)[0]) / (2 * eps)
        symbolic = out[1 + layer][index]
        assert abs(symbolic - numeric) <= 1e-4 * max(abs(numeric), 1e-3), (layer, symbolic, numeric)
