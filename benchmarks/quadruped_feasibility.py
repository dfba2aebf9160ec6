"""How fast can the paper's quadruped walk at all?  An independent check in MuJoCo.

Issue 4 asks for a trained gait of at least 1.2 m/s over 8 s.  This script
asks MuJoCo (C, ~1,000x faster than a differentiable rollout) what the robot
can do with any periodic gait: CMA-ES over open-loop gaits with two
harmonics of the controller's 1.5 Hz phase (the paper's network only sees
that phase, so every gait it can express is of this kind), with thousands
of evaluations, for several servo torque limits.

Robot: ``symphys_models/quadruped.xml`` as is (28.7 kg, 8 pitch servos, +-45 deg,
dt 5 ms, friction 1), except the servos' torque limit and the integrator
(implicitfast: the file's Euler makes the servos chatter).  Its actuators are
MuJoCo position servos (kp 300, kv 10, the same 30 1/s gain as symphys's
velocity servo but without its 2 pi rad/s speed cap, so MuJoCo's robot is,
if anything, the faster).  Objective: mean forward velocity of the torso
over 8 s from rest, as in ``symphys quadruped eval``.

Gait (40 numbers): target_j(t) = 45 deg tanh(o_j + a_j sin wt + b_j cos wt +
c_j sin 2wt + d_j cos 2wt), w = 2 pi 1.5 Hz, for the 8 servos.

    python benchmarks/quadruped_feasibility.py                 # 4, 8, 12, 20, 30 N m
    python benchmarks/quadruped_feasibility.py --torques 4 --evaluations 500

Needs the ``[bench]`` extra (mujoco).  Writes RESULTS.md's "quadruped_feasibility"
section and benchmarks/quadruped_feasibility.png.  Ctrl-C stops the current
CMA-ES run and keeps its best gait.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from results import write_section  # noqa: E402

from symphys_models import quadruped, quadruped_gait  # noqa: E402

XML = os.path.join(os.path.dirname(HERE), "symphys_models", "quadruped.xml")
STEPS = int(round(quadruped_gait.DURATION / quadruped.DT))  # 1,600 steps of 5 ms


class Robot:
    """The quadruped in MuJoCo with a given servo torque limit (N m)."""

    def __init__(self, max_torque: float, timestep: float = quadruped.DT, friction: float | None = None):
        import mujoco

        self.mujoco = mujoco
        self.model = mujoco.MjModel.from_xml_path(XML)
        self.model.opt.timestep = timestep
        if friction is not None:
            self.model.geom_friction[:, 0] = friction
        self.model.actuator_forcerange[:] = (-max_torque, max_torque)
        # The file's explicit Euler treats the servos' damping (kv 10) explicitly, too stiff for
        # the 0.8 kg tibia at 5 ms: the servos then chatter between +-limit even standing still.
        self.model.opt.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
        self.data = mujoco.MjData(self.model)
        self.torso = self.model.body("torso").id

    def run(self, targets: np.ndarray):
        """(mean forward velocity m/s, torso heights (T+1,) m, torso up-vector z (T+1,)) for (T, 8) targets."""
        mujoco, model, data = self.mujoco, self.model, self.data
        mujoco.mj_resetData(model, data)
        mujoco.mj_forward(model, data)
        x0 = data.xpos[self.torso, 0]
        height, up = [data.xpos[self.torso, 2]], [data.xmat[self.torso][8]]
        for target in targets:
            data.ctrl[:] = target
            mujoco.mj_step(model, data)
            height.append(data.xpos[self.torso, 2])
            up.append(data.xmat[self.torso][8])
        velocity = (data.xpos[self.torso, 0] - x0) / (len(targets) * model.opt.timestep)
        if not np.isfinite(velocity) or data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number:
            velocity = -np.inf  # a blown-up rollout is no gait
        return float(velocity), np.array(height), np.array(up)


def harmonic_targets(theta: np.ndarray, steps: int = STEPS) -> np.ndarray:
    """(steps, 8) servo targets (rad) of the 40-number harmonic gait."""
    p = np.asarray(theta, dtype=float).reshape(8, 5)
    w = 2 * np.pi * quadruped.GAIT_FREQUENCY * np.arange(steps)[:, None] * quadruped.DT
    u = p[:, 0] + p[:, 1] * np.sin(w) + p[:, 2] * np.cos(w) + p[:, 3] * np.sin(2 * w) + p[:, 4] * np.cos(2 * w)
    return quadruped.LIMIT * np.tanh(u)


def optimize(robot: Robot, evaluations: int, seed: int, sigma0: float = 0.8, progress: bool = True):
    """CMA-ES on the harmonic gait; returns (best velocity m/s, best parameters, best-so-far per evaluation)."""
    import cma
    from tqdm.auto import tqdm

    strategy = cma.CMAEvolutionStrategy(np.zeros(40), sigma0, {"seed": seed, "verbose": -9, "popsize": 20})
    best, best_theta, curve = -np.inf, np.zeros(40), []
    with tqdm(total=evaluations, desc=f"CMA-ES seed {seed}", disable=not progress, mininterval=2.0) as bar:
        try:
            while len(curve) < evaluations:
                candidates = strategy.ask()
                scores = []
                for theta in candidates:
                    velocity, _, _ = robot.run(harmonic_targets(theta))
                    scores.append(velocity)
                    if velocity > best:
                        best, best_theta = velocity, np.array(theta)
                    curve.append(best)
                    bar.update(1)
                strategy.tell(candidates, [-s if np.isfinite(s) else 1e3 for s in scores])
                bar.set_postfix(best=f"{best:.3f} m/s", refresh=False)
        except KeyboardInterrupt:
            bar.write("interrupted: keeping the best gait so far")
    return best, best_theta, np.array(curve)


def describe(robot: Robot, theta: np.ndarray) -> str:
    """How the gait of parameters theta carries the torso: its height and whether it flips over."""
    _, height, up = robot.run(harmonic_targets(theta))
    last = height[len(height) // 2:]
    flipped = "flips over" if up.min() < 0 else "stays upright"
    return (f"torso height min {height.min():.2f} m, last 4 s {last.min():.2f}-{last.max():.2f} m; "
            f"{flipped}")


def robustness(torque: float, theta: np.ndarray) -> tuple:
    """The best gait's velocity (m/s) again with a 2.5 ms step (targets held twice as long) and friction 0.8."""
    targets = harmonic_targets(theta)
    finer = np.repeat(targets, 2, axis=0)
    return Robot(torque, timestep=quadruped.DT / 2).run(finer)[0], Robot(torque, friction=0.8).run(targets)[0]


def main(argv=None) -> int:
    import mujoco

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torques", type=float, nargs="+", default=[4.0, 8.0, 12.0, 20.0, 30.0],
                        help="servo torque limits to try, N m (the paper's robot: 4)")
    parser.add_argument("--evaluations", type=int, default=3000, help="CMA-ES rollouts per torque")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    parser.add_argument("--plot", default=os.path.join(HERE, "quadruped_feasibility.png"))
    args = parser.parse_args(argv)

    rows, curves = [], {}
    start = time.perf_counter()
    trot = quadruped.trot(np.arange(STEPS) * quadruped.DT, **quadruped_gait.HAND_TUNED)
    for torque in args.torques:
        robot = Robot(torque)
        trot_velocity, _, _ = robot.run(trot)
        for seed in args.seeds:
            tic = time.perf_counter()
            best, theta, curve = optimize(robot, args.evaluations, seed, progress=not args.no_progress)
            curves[(torque, seed)] = curve
            at_500 = curve[min(499, len(curve) - 1)]
            rows.append((torque, seed, trot_velocity, len(curve), time.perf_counter() - tic, at_500, best,
                         *robustness(torque, theta), describe(robot, theta)))
            print(f"{torque:g} N m, seed {seed}: hand-tuned trot {trot_velocity:.3f} m/s; CMA-ES best "
                  f"{at_500:.3f} m/s after 500 and {best:.3f} m/s after {len(curve)} rollouts", flush=True)

    lines = ["## Quadruped: how fast can it walk at all? (MuJoCo, `benchmarks/quadruped_feasibility.py`)", "",
             f"`python benchmarks/quadruped_feasibility.py --torques {' '.join(f'{t:g}' for t in args.torques)} "
             f"--evaluations {args.evaluations} --seeds {' '.join(map(str, args.seeds))}` "
             f"({(time.perf_counter() - start) / 60:.0f} min, 2-core CPU, MuJoCo "
             f"{mujoco.__version__}). The robot is `symphys_models/quadruped.xml` with the servos' torque "
             "limit changed; gaits are any 1.5 Hz periodic targets with two harmonics (40 numbers, found by "
             "CMA-ES); the score is the mean forward velocity of the torso over 8 s from rest.", "",
             "| servo limit (N m) | seed | hand-tuned trot (m/s) | CMA-ES rollouts | wall (s) | best after 500 "
             "(m/s) | best (m/s) | best gait, 2.5 ms step (m/s) | best gait, friction 0.8 (m/s) | best gait |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {t:g} | {s} | {v:.3f} | {n} | {w:.0f} | {a:.3f} | {b:.3f} | {fine:.3f} | {rough:.3f} | {d} |"
              for t, s, v, n, w, a, b, fine, rough, d in rows]
    write_section(args.results, "quadruped_feasibility", "\n".join(lines))
    _plot(args.plot, curves)
    print(f"wrote {args.results} and {args.plot}")
    return 0


def _plot(path: str, curves: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for (torque, seed), curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, label=f"{torque:g} N m (seed {seed})")
    ax.axhline(1.2, color="k", ls="--", lw=1, label="issue 4 target")
    ax.axvline(500, color="gray", ls=":", lw=1)
    ax.set_xlabel("MuJoCo rollouts (8 s)")
    ax.set_ylabel("best mean forward velocity (m/s)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
