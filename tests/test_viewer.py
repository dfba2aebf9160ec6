"""The trajectory viewer (issue 4): files, projection, GIF, self-contained HTML, and the page in Chromium."""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import symphys as sp
from symphys import cli, viewer
from symphys.rotations import quat_multiply

VIEWER_DIR = Path(viewer.__file__).parent


def scene(ground=True):
    """A sphere, a box (the heaviest body) and a tilted capsule."""
    world = sp.World(dt=0.01)
    if ground:
        world.add_ground(friction=0.8)
    world.add_sphere(radius=0.1, mass=1.0, position=(0, 0, 0.1), name="ball")
    world.add_box(half_extents=(0.2, 0.1, 0.05), mass=2.0, position=(0.5, 0, 0.05), name="box")
    world.add_capsule(radius=0.05, length=0.3, mass=0.5, position=(1, 0, 0.05),
                      orientation=(np.cos(np.pi / 4), 0, np.sin(np.pi / 4), 0), name="capsule")
    return world.build()


def motion(model, frames=101, batch=None):
    """Bodies sliding along x and spinning about z: (position, orientation) arrays."""
    t = np.arange(frames) * model.dt
    position = model.init_position[None] + np.array([1.0, 0, 0]) * t[:, None, None]
    half = 0.5 * t[:, None]
    spin = np.concatenate([np.cos(half), 0 * half, 0 * half, np.sin(half)], axis=1)  # about z
    orientation = np.stack([quat_multiply(spin, q) for q in model.init_orientation], axis=1)
    if batch is not None:
        position = np.stack([position + k for k in range(batch)], axis=1)
        orientation = np.stack([orientation] * batch, axis=1)
    return position, orientation


@pytest.fixture(scope="module")
def model():
    return scene()


@pytest.fixture(scope="module")
def traj(model):
    return viewer.from_model(model, sp.State(*motion(model), None, None), title="test scene")


def test_viewer_imports_no_graph_library(tmp_path):
    """The viewer imports only numpy, Pillow, the standard library and symphys.rotations (numpy only),
    and ``python -m symphys.viewer`` renders a saved trajectory."""
    allowed = {"__future__", "argparse", "dataclasses", "html", "importlib", "json", "math", "os", "shutil",
               "subprocess", "sys", "pathlib", "numpy", "PIL", "symphys.rotations"}
    for file in [*sorted(VIEWER_DIR.glob("*.py")), VIEWER_DIR.parent / "rotations.py"]:
        tree = ast.parse(file.read_text())
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {f"{node.module}.{alias.name}" if node.module == "symphys" else node.module
                    for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0
                    for alias in node.names}
        found = {m if m.startswith("symphys") else m.split(".")[0] for m in modules}
        assert found <= allowed, (file.name, found - allowed)
    model = scene()
    path = tmp_path / "t.npz"
    viewer.save_trajectory(path, model, motion(model, 11))
    subprocess.run([sys.executable, "-m", "symphys.viewer", str(path), "--out", str(tmp_path / "a.html"),
                    "--out", str(tmp_path / "a.gif")], check=True, cwd=tmp_path, capture_output=True)
    assert (tmp_path / "a.html").stat().st_size > 0 and (tmp_path / "a.gif").stat().st_size > 0
    # symphys's public names load lazily: the viewer runs where no graph library is installed.
    loaded = subprocess.run([sys.executable, "-c", "import sys, symphys.viewer; "
                             "print(sorted(m for m in ('pytensor', 'aesara', 'jax') if m in sys.modules))"],
                            check=True, capture_output=True, text=True).stdout.strip()
    assert loaded == "[]", loaded


def test_page_ships_as_package_data():
    """page.html is read from the installed package and carries each placeholder once."""
    page = viewer.page_template()
    assert page.startswith("<!DOCTYPE html>") and page.count("__DATA__") == 1 and page.count("__TITLE__") == 2


def test_shape_names_follow_symphys_codes():
    for shape in sp.Shape:
        assert viewer.SHAPES[shape] == shape.name.lower()


def test_save_load_roundtrip(tmp_path, model):
    position, orientation = motion(model, 31, batch=3)
    saved = viewer.save_trajectory(tmp_path / "run.npz", model, sp.State(position, orientation, None, None),
                                   world=2, every=2, title="roundtrip")
    loaded = viewer.load_trajectory(tmp_path / "run.npz")
    assert loaded.body_names == ("ball", "box", "capsule") == saved.body_names
    assert loaded.shape == ("sphere", "box", "capsule")
    np.testing.assert_array_equal(loaded.size, model.body_size)
    np.testing.assert_array_equal(loaded.geom_offset, np.zeros((3, 3)))
    np.testing.assert_array_equal(loaded.geom_orientation, np.tile([1.0, 0, 0, 0], (3, 1)))
    np.testing.assert_array_equal(loaded.position, position[::2, 2])
    np.testing.assert_array_equal(loaded.orientation, orientation[::2, 2])
    assert loaded.position.shape == (16, 3, 3) and loaded.orientation.shape == (16, 3, 4)
    assert loaded.dt == pytest.approx(2 * model.dt)
    assert loaded.ground_height == 0.0 and loaded.follow == 1  # the box is the heaviest body
    assert loaded.title == "roundtrip" and loaded.duration == pytest.approx(0.3)
    no_ground = viewer.from_model(scene(ground=False), motion(model, 5))
    no_ground.save(tmp_path / "free.npz")
    assert viewer.load_trajectory(tmp_path / "free.npz").ground_height is None


def test_invalid_trajectories_are_refused(tmp_path, model):
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a symphys trajectory"):
        viewer.load_trajectory(tmp_path / "other.npz")
    position, orientation = motion(model, 5)
    with pytest.raises(ValueError, match="position"):
        viewer.from_model(model, (position[:, :2], orientation))
    position[2, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        viewer.from_model(model, (position, orientation))
    with pytest.raises(ValueError, match="world"):
        viewer.from_model(model, motion(model, 5, batch=2), world=2)


def test_subsample_keeps_real_time(traj):
    assert traj.n_frames == 101 and traj.dt == pytest.approx(0.01)
    sub = traj.subsample(30)  # every round(3.33) = 3 steps
    assert sub.n_frames == 34 and sub.dt == pytest.approx(0.03)
    np.testing.assert_array_equal(sub.position, traj.position[::3])
    assert traj.subsample(200) is traj


def test_projection_of_a_box_at_a_known_pose():
    camera = viewer.Camera(target=(0, 0, 0), distance=2.0, azimuth=-90, elevation=0, fov=40, width=200,
                           height=100)
    eye, right, up, forward = camera.basis()
    np.testing.assert_allclose(eye, [0, -2, 0], atol=1e-12)  # on the -y side, +x to the right, z up
    np.testing.assert_allclose(np.stack([right, up, forward]), np.eye(3)[[0, 2, 1]], atol=1e-12)
    focal = 50 / np.tan(np.radians(20))
    pixels, depth = viewer.project([[0, 0, 0], [0.5, 0, 0.25], [0, -1, -0.5]], camera)
    np.testing.assert_allclose(pixels, [[100, 50], [100 + focal * 0.25, 50 - focal * 0.125],
                                        [100, 50 + focal * 0.5]])
    np.testing.assert_allclose(depth, [2, 2, 1])
    # A 0.4 x 0.2 x 0.1 m box turned 90 deg about z, centred at (0.3, 0, 0): its face towards
    # the camera is the plane y = -0.2, spanning x in [0.2, 0.4] and z in [-0.05, 0.05].
    turn = (np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4))
    vertices, faces = viewer.shape_mesh("box", (0.2, 0.1, 0.05))
    world = vertices @ viewer.quat_to_matrix(turn).T + [0.3, 0, 0]
    np.testing.assert_allclose(np.sort(np.unique(np.round(world[:, 1], 12))), [-0.2, 0.2])
    pixels, depth = viewer.project(world, camera)
    front = np.isclose(depth, 1.8)
    assert front.sum() == 4
    np.testing.assert_allclose(pixels[front, 0].min(), 100 + focal * 0.2 / 1.8)
    np.testing.assert_allclose(pixels[front, 0].max(), 100 + focal * 0.4 / 1.8)
    np.testing.assert_allclose(pixels[front, 1].min(), 50 - focal * 0.05 / 1.8)


def test_rendered_box_appears_where_projected():
    world = sp.World(dt=0.01)
    world.add_box(half_extents=(0.2, 0.1, 0.05), mass=1.0, position=(0.3, 0, 0.2),
                  orientation=(np.cos(np.pi / 8), 0, 0, np.sin(np.pi / 8)))
    model = world.build()
    traj = viewer.from_model(model, (model.init_position[None], model.init_orientation[None]))
    camera = viewer.Camera(target=(0, 0, 0), distance=2.0, azimuth=-60, elevation=25, width=240, height=160)
    image = viewer.render_frame(traj, 0, camera, label=False).astype(int)
    assert image.shape == (160, 240, 3)
    drawn = np.abs(image - viewer.BACKGROUND).sum(axis=-1) > 30
    corners = viewer.shape_mesh("box", model.body_size[0])[0] @ viewer.quat_to_matrix(
        model.init_orientation[0]).T + model.init_position[0]
    pixels, _ = viewer.project(corners, camera)
    rows, cols = np.nonzero(drawn)
    assert abs(cols.min() - pixels[:, 0].min()) < 2 and abs(cols.max() - pixels[:, 0].max()) < 2
    assert abs(rows.min() - pixels[:, 1].min()) < 2 and abs(rows.max() - pixels[:, 1].max()) < 2
    u, v = pixels.mean(axis=0).astype(int)
    r, g, b = image[v, u]
    assert r > g and b > g  # the box colour, shaded


def test_gif_has_one_frame_per_sample(tmp_path, traj):
    count = viewer.write_gif(tmp_path / "scene.gif", traj, fps=20, width=160, height=100)
    assert count == 21  # 1 s at 20 fps, both ends
    with Image.open(tmp_path / "scene.gif") as gif:
        assert gif.n_frames == 21 and gif.size == (160, 100)
        assert gif.info["duration"] == 50 and gif.info["loop"] == 0
    assert viewer.write_gif(tmp_path / "short.gif", traj, fps=10, width=80, height=60, seconds=0.5) == 6


def test_mp4_needs_ffmpeg(tmp_path, traj):
    if shutil.which("ffmpeg") is None:
        with pytest.raises(RuntimeError, match="ffmpeg"):
            viewer.write_video(tmp_path / "scene.mp4", traj)
    else:
        assert viewer.write_video(tmp_path / "scene.mp4", traj, fps=10, width=120, height=80) == 11
        assert (tmp_path / "scene.mp4").stat().st_size > 0
    with pytest.raises(ValueError, match="gif or .mp4"):
        viewer.write_video(tmp_path / "scene.avi", traj)


def embedded_data(page: str) -> dict:
    match = re.search(r'<script id="symphys-data" type="application/json">(.*?)</script>', page, re.S)
    assert match, "no embedded trajectory"
    return json.loads(match.group(1))


def test_html_is_self_contained_and_embeds_the_frames(tmp_path, traj):
    path = viewer.write_html(tmp_path / "scene.html", traj, fps=30)
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"https?:|//cdn|\bsrc\s*=|<link\b|@import|url\(", page, re.I)
    assert page.count("<script") == 2  # the data and the inline player
    data = embedded_data(page)
    frames = traj.subsample(30).n_frames
    assert data["frames"] == frames == 34 and data["dt"] == pytest.approx(0.03)
    assert [b["name"] for b in data["bodies"]] == ["ball", "box", "capsule"]
    assert [b["shape"] for b in data["bodies"]] == ["sphere", "box", "capsule"]
    assert len(data["position"]) == frames * 3 * 3 and len(data["orientation"]) == frames * 3 * 4
    np.testing.assert_allclose(np.reshape(data["position"], (frames, 3, 3)), traj.position[::3], atol=5e-5)
    np.testing.assert_allclose(np.reshape(data["orientation"], (frames, 3, 4)), traj.orientation[::3],
                               atol=5e-5)
    assert all(len(repr(float(x)).split(".")[-1]) <= 4 for x in data["position"])  # rounded to 0.1 mm
    for body in data["bodies"]:
        assert len(body["faces"]) % 4 == 0 and max(body["faces"]) < len(body["vertices"]) // 3
    assert data["ground"] == 0.0 and data["follow"] == 1
    assert "<title>test scene</title>" in page


def test_html_escapes_names(tmp_path):
    world = sp.World(dt=0.01)
    world.add_sphere(radius=0.1, name="</script><b>")
    model = world.build()
    traj = viewer.from_model(model, motion(model, 3), title="a <b> & c")
    page = viewer.write_html(tmp_path / "x.html", traj).read_text()
    assert "<title>a &lt;b&gt; &amp; c</title>" in page
    assert embedded_data(page)["bodies"][0]["name"] == "</script><b>"


def test_cli_view_renders_a_saved_trajectory(tmp_path, model, capsys):
    viewer.save_trajectory(tmp_path / "scene.npz", model, motion(model, 21))
    html, gif = tmp_path / "v" / "scene.html", tmp_path / "v" / "scene.gif"
    assert cli.main(["view", str(tmp_path / "scene.npz"), "--out", str(html), "--out", str(gif), "--fps", "10",
                     "--width", "120", "--height", "80"]) == 0
    assert embedded_data(html.read_text())["frames"] == 3
    with Image.open(gif) as image:
        assert image.n_frames == 3 and image.size == (120, 80)
    assert "wrote" in capsys.readouterr().out
    assert cli.main(["view", str(tmp_path / "scene.npz"), "--out", str(tmp_path / "x.txt")]) == 2
    assert cli.main(["view"]) == 2
    assert cli.main(["view", str(tmp_path / "missing.npz")]) == 2


@pytest.mark.slow
def test_cli_view_simulates_the_quadruped_trot(tmp_path):
    out = tmp_path / "quadruped.npz"
    assert cli.main(["view", "--model", "quadruped", "--seconds", "0.5", "--out", str(out)]) == 0
    traj = viewer.load_trajectory(out)
    assert traj.n_frames == 101 and traj.n_bodies == 9 and traj.body_names[traj.follow] == "torso"


# --------------------------------------------------------------------------- headless Chromium

def chromium_executable():
    """A Chromium for Playwright: $SYMPHYS_CHROMIUM, a system one, or None (Playwright's own)."""
    if os.environ.get("SYMPHYS_CHROMIUM"):
        return os.environ["SYMPHYS_CHROMIUM"]
    for name in ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.browser
def test_html_page_draws_the_quadruped_in_headless_chromium(tmp_path):
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[browser]')")
    from symphys_models import quadruped

    model = quadruped.build_model()
    position, orientation = motion(model, 201)
    path = viewer.write_html(tmp_path / "quadruped.html",
                             viewer.from_model(model, (position, orientation), title="quadruped"))
    messages, errors = [], []
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=chromium_executable())
        except Exception as error:  # noqa: BLE001 - no browser binary is a skip, not a failure
            pytest.skip(f"no Chromium to run (apt-get install chromium, or set SYMPHYS_CHROMIUM): "
                        f"{str(error).splitlines()[0]}")
        try:
            page = browser.new_page(viewport={"width": 800, "height": 560})
            page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_function("window.symphysViewer && window.symphysViewer.frame > 5", timeout=10000)
            state = page.evaluate("({...window.symphysViewer})")
            canvas = page.locator("#view")
            canvas.screenshot(path=str(tmp_path / "shot.png"))
            assert not page.locator("#error").is_visible()
            page.click("#play")
            paused = page.evaluate("window.symphysViewer.frame")
            page.wait_for_timeout(300)
            assert page.evaluate("window.symphysViewer.frame") == paused
            assert page.inner_text("#play") == "Play"
        finally:
            browser.close()
    assert not errors, errors
    assert not [m for m in messages if m.startswith(("error", "warning"))], messages
    assert state["drawnFaces"] > 100
    shot = np.asarray(Image.open(tmp_path / "shot.png").convert("RGB")).astype(int)
    # Sky and ground are greys; the torso (orange) and legs (blue) are the saturated pixels.
    saturated = (shot.max(axis=-1) - shot.min(axis=-1)) > 60
    assert saturated.mean() > 0.01, f"robot covers only {saturated.mean():.2%} of the view"
    orange = (shot[..., 0] > shot[..., 1] + 40) & (shot[..., 1] > shot[..., 2])
    assert orange.mean() > 0.005  # the torso
