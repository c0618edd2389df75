"""Numeric statistics of a cluster on the original scale, for prompts and labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hercules.data.dataset import Corpus


def numeric_profile(corpus: Corpus, members: np.ndarray) -> pd.DataFrame:
    """Per column: cluster mean/std/min/max, overall mean/std and the mean's z-score."""
    assert corpus.numeric is not None
    frame = corpus.numeric
    values = corpus.cached("numeric_values", frame.to_numpy)
    overall_mean, overall_std = corpus.cached(
        "numeric_overall",
        lambda: (values.mean(axis=0, dtype=np.float64), values.std(axis=0, dtype=np.float64)),
    )
    part = values[members]
    profile = pd.DataFrame(
        {
            "mean": part.mean(axis=0, dtype=np.float64),
            "std": part.std(axis=0, dtype=np.float64),
            "min": part.min(axis=0),
            "max": part.max(axis=0),
            "overall_mean": overall_mean,
            "overall_std": np.where(overall_std > 0, overall_std, 1.0),
        },
        index=frame.columns,
    )
    profile["z"] = (profile["mean"] - profile["overall_mean"]) / profile["overall_std"]
    return profile


def describe_profile(
    corpus: Corpus, profile: pd.DataFrame, top: int = 3, listed: int = 8
) -> tuple[str, str]:
    """A title naming the ``top`` most distinctive features; a description of ``listed``."""
    ranked = profile["z"].abs().sort_values(ascending=False, kind="stable").index
    order = ranked[:top]
    parts = []
    for col in order:
        z = float(profile.at[col, "z"])  # type: ignore[arg-type]
        if abs(z) < 0.25:
            continue
        parts.append(f"{'high' if z > 0 else 'low'} {_label(corpus, col)}")
    title = ", ".join(parts).capitalize() if parts else "Typical values on every feature"
    lines = []
    for col in ranked[:listed]:
        meta = corpus.numeric_metadata.get(col, {})
        unit = f" {meta['unit']}" if meta.get("unit") else ""
        row = profile.loc[col]
        lines.append(
            f"{_label(corpus, col)} mean {row['mean']:.4g}{unit} "
            f"(overall {row['overall_mean']:.4g}, "
            f"z={row['z']:+.2f}), range {row['min']:.4g}-{row['max']:.4g}"
        )
    return title, "; ".join(lines)


def _label(corpus: Corpus, col: str) -> str:
    return corpus.numeric_metadata.get(col, {}).get("name", col)
