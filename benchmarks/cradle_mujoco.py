"""MuJoCo's Newton's cradle, for comparison with symphys's (tests/test_pair_contacts.py::cradle).

Five 0.2 kg spheres of radius 5 cm in a row, no gravity, no friction; the first comes in at 1 m/s.
Prints the spheres' speeds along the row after 1 s and the last sphere's share of the first's speed,
for MuJoCo's default (critically damped) contact and for undamped springs (MuJoCo has no restitution
coefficient), touching and 2 cm apart, at dt 0.01 s (symphys's) and 0.001 s.

    python benchmarks/cradle_mujoco.py        # needs the [mujoco] extra
"""

from __future__ import annotations

import mujoco
import numpy as np

RADIUS, MASS, SPEED = 0.05, 0.2, 1.0  # m, kg, m/s
SOLREFS = {"default (0.02, 1)": "0.02 1", "elastic spring (-1e5, -1e-9)": "-1e5 -1e-9",
           "elastic spring (-1e6, -1e-9)": "-1e6 -1e-9"}


def cradle(gap: float, solref: str, dt: float, seconds: float = 1.0) -> np.ndarray:
    """Speeds (m/s) along the row of the five spheres after ``seconds``."""
    xs = [-0.2] + [k * (2 * RADIUS + gap) for k in range(4)]
    bodies = "".join(f'<body pos="{x} 0 0"><freejoint/><geom type="sphere" size="{RADIUS}" mass="{MASS}" '
                     f'friction="0 0 0" solref="{solref}"/></body>' for x in xs)
    xml = f'<mujoco><option timestep="{dt}" gravity="0 0 0"/><worldbody>{bodies}</worldbody></mujoco>'
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    data.qvel[0] = SPEED
    for _ in range(int(round(seconds / dt))):
        mujoco.mj_step(model, data)
    return data.qvel.reshape(5, 6)[:, 0].copy()


def main() -> None:
    print(f"MuJoCo {mujoco.__version__}: last sphere's speed / first's (speeds along the row, m/s)")
    for name, solref in SOLREFS.items():
        for dt in (0.01, 0.001):
            for gap in (0.0, 0.02):
                v = cradle(gap, solref, dt)
                label = "touching" if gap == 0 else f"{gap * 100:.0f} cm apart"
                print(f"{name:30s} dt {dt:<6} {label:12s} {v[-1] / SPEED:8.3f}   {np.round(v, 3)}")


if __name__ == "__main__":
    main()
