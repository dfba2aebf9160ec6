"""The physics of a step, one module per stage (read step.py first), and its unrolling over time.

kinematics -> forces (v* = v + dt M^-1 f) -> rows (contacts, joints, limits,
motors) -> solver (Jacobi or colored Gauss-Seidel sweeps) -> integrate;
rollout.py scans the step over time, simulate.py compiles and runs it.
"""
