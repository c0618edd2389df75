"""k-means engines behind one small interface, plus automatic k and resampling refinement."""

from hercules.engine.auto_k import choose_k
from hercules.engine.base import KMeansEngine, KMeansResult, assign
from hercules.engine.factory import make_engine
from hercules.engine.faiss_engine import FaissKMeans
from hercules.engine.resample import resampled_kmeans
from hercules.engine.sklearn_engine import SklearnKMeans

__all__ = [
    "FaissKMeans",
    "KMeansEngine",
    "KMeansResult",
    "SklearnKMeans",
    "assign",
    "choose_k",
    "make_engine",
    "resampled_kmeans",
]
