"""Bad input to the ``symphys`` command: refused with a one-line message and a non-zero exit status,
before any simulation or compilation, writing nothing and creating no folder."""

import argparse
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from symphys import cli

# Each is refused by argparse (exit status 2) before anything runs.
ARGPARSE_CASES = [
    ["view", "--model", "quadruped", "--seconds", "-1"], ["view", "--model", "quadruped", "--seconds", "0"],
    ["view", "--model", "quadruped", "--seconds", "nan"], ["view", "--model", "quadruped", "--fps", "0"],
    ["view", "--model", "quadruped", "--width", "-5"], ["graph", "--grad", "--steps", "0"],
    ["quadruped", "eval", "--evaluations", "0"], ["quadruped", "train", "--max-torque", "-4"],
    ["arm", "train", "--batch", "0"], ["arm", "train", "--learning-rate", "fast"],
]


@pytest.mark.parametrize("argv", ARGPARSE_CASES, ids=" ".join)
def test_refused_by_the_parser(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    flag = next(a for a in argv if a.startswith("--"))
    assert flag in capsys.readouterr().err


def refused(argv, capsys, expected: str):
    """cli.main(argv) returns 2 at once, with one line on stderr containing ``expected``."""
    start = time.perf_counter()
    assert cli.main(argv) == 2
    assert time.perf_counter() - start < 5.0  # nothing was simulated or compiled
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1, err


def test_graph_out_png_is_refused(tmp_path, capsys):
    """The built-in layout writes SVG: --out x.png used to get SVG text in a .png file."""
    out = tmp_path / "x.png"
    refused(["graph", "--out", str(out)], capsys, "use .svg, .dot")
    assert not out.exists()


def test_view_out_txt_is_refused_before_simulating(tmp_path, capsys):
    out = tmp_path / "x.txt"
    refused(["view", "--model", "quadruped", "--seconds", "4", "--out", str(out)], capsys, "use .html")
    assert not out.exists()


@pytest.mark.parametrize("command", [["graph"], ["view", "--model", "quadruped"]])
def test_missing_folder_outside_the_current_one_is_not_created(command, capsys):
    """--out /missing/dir/x.svg: no folder is created at the file-system root unasked."""
    root = "/symphys_missing_folder_test"
    assert not os.path.exists(root)
    suffix = ".svg" if command[0] == "graph" else ".html"
    refused([*command, "--out", f"{root}/dir/x{suffix}"], capsys, "does not exist")
    assert not os.path.exists(root)


def test_view_of_a_missing_trajectory(tmp_path, capsys):
    refused(["view", str(tmp_path / "missing.npz")], capsys, "cannot read")


@pytest.mark.parametrize("command", [["quadruped", "eval"], ["arm", "eval"], ["arm", "cmaes"]])
def test_bad_checkpoint_is_a_one_line_error(tmp_path, command):
    """A trajectory .npz, a text file or a missing file given as a checkpoint: one line, no traceback,
    and no output folder created."""
    trajectory = tmp_path / "trajectory.npz"
    np.savez(trajectory, position=np.zeros((3, 1, 3)), orientation=np.zeros((3, 1, 4)))
    text = tmp_path / "notes.txt"
    text.write_text("not a checkpoint")
    for checkpoint in (trajectory, text, tmp_path / "missing.npz"):
        out = tmp_path / "out"
        with pytest.raises(SystemExit) as exit_:
            cli.main([*command, "--checkpoint", str(checkpoint), "--out", str(out)])
        message = str(exit_.value.code)
        assert str(checkpoint) in message and len(message.splitlines()) == 1
        assert not out.exists()


def test_bad_checkpoint_prints_no_traceback(tmp_path):
    """The same from a shell: exit status 1 and exactly one line on stderr."""
    trajectory = tmp_path / "trajectory.npz"
    np.savez(trajectory, position=np.zeros((3, 1, 3)))
    result = subprocess.run([sys.executable, "-m", "symphys.cli", "quadruped", "eval", "--checkpoint",
                             str(trajectory), "--out", str(tmp_path / "out")], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"symphys quadruped eval: {trajectory} is not a usable checkpoint (meta is not a file in the archive)"]


def test_progress_bars_only_on_a_terminal():
    """Under pytest stderr is captured, not a terminal: no progress bars, with or without --no-progress."""
    assert not sys.stderr.isatty()
    assert cli.show_progress(argparse.Namespace(no_progress=False)) is False
    assert cli.show_progress(argparse.Namespace(no_progress=True)) is False


def test_viewer_module_command(tmp_path, capsys):
    """``python -m symphys.viewer``: --fps must be positive; a missing trajectory is a one-line error."""
    from symphys.viewer import command

    with pytest.raises(SystemExit) as exit_:
        command.main([str(tmp_path / "t.npz"), "--out", str(tmp_path / "t.html"), "--fps", "-1"])
    assert exit_.value.code == 2 and "--fps" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        command.main([str(tmp_path / "missing.npz"), "--out", str(tmp_path / "t.html")])
    assert "cannot read" in str(exit_.value.code) and len(str(exit_.value.code).splitlines()) == 1
    assert not (tmp_path / "t.html").exists()
