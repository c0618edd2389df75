"""Numeric statistics of a cluster on the original scale, for prompts and labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hercules.data.dataset import Corpus


def numeric_profile(corpus: Corpus, members: np.ndarray) -> pd.DataFrame:
    """Per column: cluster mean/std/min/max, overall mean/std and the mean's z-score."""
    assert corpus.numeric is not None
    frame = corpus.numeric
    overall_mean = frame.mean()
    overall_std = frame.std(ddof=0).replace(0.0, 1.0)
    part = frame.iloc[members]
    profile = pd.DataFrame(
        {
            "mean": part.mean(),
            "std": part.std(ddof=0),
            "min": part.min(),
            "max": part.max(),
            "overall_mean": overall_mean,
            "overall_std": overall_std,
        }
    )
    profile["z"] = (profile["mean"] - overall_mean) / overall_std
    return profile


def describe_profile(corpus: Corpus, profile: pd.DataFrame, top: int = 3) -> tuple[str, str]:
    """A title naming the most distinctive features and a one-paragraph description."""
    order = profile["z"].abs().sort_values(ascending=False).index[:top]
    parts = []
    for col in order:
        z = profile.at[col, "z"]
        if abs(z) < 0.25:
            continue
        parts.append(f"{'high' if z > 0 else 'low'} {_label(corpus, col)}")
    title = ", ".join(parts).capitalize() if parts else "Typical values on every feature"
    lines = []
    for col in profile.index:
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
