"""Reciprocal rank fusion and scheme preference: pure functions over ranked chunk ids.

RRF (Cormack et al., 2009) needs no score calibration between BM25 and cosine similarity:
each retriever contributes 1 / (rrf_k + rank) for every chunk it ranks (rank from 1).
Scheme preference multiplies the fused score of a chunk that belongs to a scheme the user named
by (1 + scheme_boost x match), match = the share of the named schemes it answers for (see
scheme_match): with rrf_k = 60 and a top-20 per retriever, a boost of 0.5 lifts a matching
chunk above every non-matching chunk found by as many retrievers (1.5/80 > 1/61); only a
non-matching chunk that both retrievers rank high can stay above a matching chunk that one
retriever found. A question naming no scheme is ranked as fused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Fused:
    chunk_id: str
    score: float
    retrievers: list[str] = field(default_factory=list)  # in the order of the rankings given
    ranks: dict[str, int] = field(default_factory=dict)  # retriever -> 1-based rank
    boosted: bool = False

    @property
    def best_rank(self) -> int:
        return min(self.ranks.values()) if self.ranks else 1 << 30


def _order(items: Iterable[Fused]) -> list[Fused]:
    # Ties: more retrievers first, then the best single rank, then the id (stable, reproducible).
    return sorted(items, key=lambda f: (-f.score, -len(f.ranks), f.best_rank, f.chunk_id))


def rrf(
    rankings: Mapping[str, Sequence[str]], k: int = 60, weights: Mapping[str, float] | None = None
) -> list[Fused]:
    """Fuse ranked id lists ({"dense": [...], "bm25": [...]}) by reciprocal rank."""
    if k < 0:
        raise ValueError("rrf k must be >= 0")
    fused: dict[str, Fused] = {}
    for name, ids in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, chunk_id in enumerate(dict.fromkeys(ids), start=1):  # a repeated id counts once
            item = fused.setdefault(chunk_id, Fused(chunk_id=chunk_id, score=0.0))
            item.score += weight / (k + rank)
            item.retrievers.append(name)
            item.ranks[name] = rank
    return _order(fused.values())


def scheme_match(wanted: Iterable[str], schemes: Iterable[str]) -> float:
    """Share of the named schemes a passage answers for, 0..1.

    "CIP en master": the masters' CIP annex (cip, cip-master) scores 1, the CIP brochure (cip)
    0.5; a plain CIP question scores both 1 (the annex holds the CIP's legal text too).
    """
    w, s = set(wanted), set(schemes)
    return len(w & s) / len(w) if w else 0.0


def prefer(items: Sequence[Fused], factors: Mapping[str, float]) -> list[Fused]:
    """Multiply each chunk's score by its factor (default 1), then re-sort."""
    for item in items:
        factor = factors.get(item.chunk_id, 1.0)
        if factor != 1.0:
            item.score *= factor
            item.boosted = item.boosted or factor > 1.0
    return _order(items)


def prefer_schemes(
    items: Sequence[Fused],
    chunk_schemes: Mapping[str, Sequence[str]],
    wanted: Sequence[str],
    boost: float,
) -> list[Fused]:
    """Scores x (1 + boost x scheme_match) for the named schemes, then re-sort."""
    if not wanted or boost <= 0:
        return list(items)
    return prefer(
        items,
        {i.chunk_id: 1.0 + boost * scheme_match(wanted, chunk_schemes.get(i.chunk_id, ())) for i in items},
    )
