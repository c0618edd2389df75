"""2-D PCA views of each vector space, fitted on level-0 vectors and applied to every level."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hercules.data.chunks import is_on_disk, row_blocks, take_rows
from hercules.tree import ClusterTree

FIT_SAMPLE = 50_000


@dataclass(frozen=True)
class PCAProjection:
    mean: np.ndarray  # (d,)
    components: np.ndarray  # (2, d)

    def transform(self, X: np.ndarray) -> np.ndarray:
        # x.C - mean.C, so no centred (n, d) copy is made.
        offset = self.mean @ self.components.T
        if not is_on_disk(X):
            return (np.asarray(X) @ self.components.T - offset).astype(np.float32)
        out = np.empty((len(X), len(self.components)), dtype=np.float32)
        for start, block in row_blocks(X):  # vectors on disk: one block resident at a time
            out[start : start + len(block)] = block @ self.components.T - offset
        return out


def fit_pca(X: np.ndarray, *, seed: int = 0, n_components: int = 2) -> PCAProjection:
    """PCA from the (d, d) covariance of a sample of rows; signs fixed for reproducibility.

    The covariance route costs one n*d*d GEMM and a d*d eigen-decomposition, where an SVD of
    the centred sample would also build its (n, d) left factor.
    """
    if len(X) > FIT_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(len(X), FIT_SAMPLE, replace=False))
        X = take_rows(X, rows)
    X = np.asarray(X)
    mean = X.sum(axis=0, dtype=np.float64) / len(X)
    scatter = np.zeros((X.shape[1], X.shape[1]))
    for start in range(0, len(X), 8_192):  # float64 blocks, not a float64 copy of the sample
        centred = X[start : start + 8_192] - mean
        scatter += centred.T @ centred
    _, vectors = np.linalg.eigh(scatter)
    comps = vectors[:, ::-1][:, :n_components].T
    if comps.shape[0] < n_components:
        comps = np.vstack([comps, np.zeros((n_components - comps.shape[0], X.shape[1]))])
    # Make the largest-magnitude loading positive, as sklearn's svd_flip does.
    signs = np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(axis=1)])
    comps = comps * np.where(signs == 0, 1, signs)[:, None]
    return PCAProjection(mean.astype(np.float32), comps.astype(np.float32))


def add_reductions(tree: ClusterTree, *, seed: int = 0) -> dict[str, PCAProjection]:
    """Set ``reductions['representation_pca']`` (and ``'description_pca'``) on every level."""
    projections = {"representation_pca": fit_pca(tree.levels[0].representation, seed=seed)}
    if all(lvl.description_embedding is not None for lvl in tree.levels):
        desc0 = tree.levels[0].description_embedding
        assert desc0 is not None
        projections["description_pca"] = fit_pca(desc0, seed=seed)
    apply_reductions(tree, projections)
    return projections


def apply_reductions(tree: ClusterTree, projections: dict[str, PCAProjection]) -> None:
    for level in tree.levels:
        for name, proj in projections.items():
            vectors = (
                level.representation
                if name == "representation_pca"
                else level.description_embedding
            )
            if vectors is not None:
                level.reductions[name] = proj.transform(vectors)
