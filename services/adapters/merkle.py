"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), §2.1: pure functions, no I/O.

- a leaf's hash is SHA-256(0x00 || data), an interior node's SHA-256(0x01 || left || right);
- the tree over n leaves splits at k, the largest power of two smaller than n (left: the
  first k leaves, right: the rest); the empty tree's hash is SHA-256 of nothing;
- an inclusion proof (audit path) shows that leaf m is in the tree of size n with a given
  root; a consistency proof shows that the tree of size m is a prefix of the tree of size
  n. Both are O(log n) hashes, and both verification algorithms are the RFC's §2.1.3.2
  and §2.1.4.2, word for word.

`Levels` holds every level of a tree built bottom-up (a lone last node is carried up
unchanged, which gives exactly the RFC's tree), so proofs over a million leaves cost
O(log n) lookups once it is built. `Frontier` is the compact form used to extend a tree
without its leaves: the roots of its perfect subtrees, largest first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes (not leaf data)."""
    return Levels(leaves).root(len(leaves))


class Levels:
    """Every level of the tree over the given leaf hashes; level 0 is the leaves."""

    def __init__(self, leaves: Iterable[bytes]) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.extend(leaves)

    def __len__(self) -> int:
        return len(self.levels[0])

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Adds leaves and recomputes only the nodes they change."""
        base = self.levels[0]
        start = len(base)
        base.extend(leaves)
        depth = 0
        while len(self.levels[depth]) > 1:
            below = self.levels[depth]
            if depth + 1 == len(self.levels):
                self.levels.append([])
            above = self.levels[depth + 1]
            # Pairs from the first one touched: a node whose right child was the lone last
            # node before (carried up) is recomputed too.
            first = (start // 2) * 2
            del above[first // 2 :]
            for i in range(first, len(below) - 1, 2):
                above.append(node_hash(below[i], below[i + 1]))
            if len(below) % 2:
                above.append(below[-1])
            start = first // 2
            depth += 1
        del self.levels[depth + 1 :]

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree over the first `size` leaves (all by default)."""
        n = len(self) if size is None else size
        if not 0 <= n <= len(self):
            raise ValueError(f"size must be within 0..{len(self)}, not {n}")
        if n == 0:
            return EMPTY_ROOT
        return self.subtree(0, n)

    def subtree(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for the ranges RFC 9162 trees are made of (lo aligned to the
        largest power of two not above hi - lo)."""
        n = hi - lo
        if n == 1:
            return self.levels[0][lo]
        if n & (n - 1) == 0 and lo % n == 0:
            depth = n.bit_length() - 1
            if depth < len(self.levels) and lo // n < len(self.levels[depth]):
                node = self.levels[depth][lo // n]
                # A carried-up lone node at this depth is not a perfect subtree of n.
                if (lo // n + 1) * n <= len(self):
                    return node
        k = _split(n)
        return node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) of RFC 9162 §2.1.3.1."""
        n = len(self) if size is None else size
        if not 0 <= index < n <= len(self):
            raise ValueError(f"index {index} is not in a tree of size {n}")
        return self._path(index, 0, n)

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, lo, lo + k), self.subtree(lo + k, hi)]
        return [*self._path(m - k, lo + k, hi), self.subtree(lo, lo + k)]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[size]) of RFC 9162 §2.1.4.1."""
        n = len(self) if size is None else size
        if not 0 < old_size <= n <= len(self):
            raise ValueError(f"no consistency proof from size {old_size} to {n}")
        if old_size == n:
            return []
        return self._subproof(old_size, 0, n, True)

    def _subproof(self, m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [self.subtree(lo, hi)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, complete), self.subtree(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self.subtree(lo, lo + k)]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: whether `leaf` (a leaf hash) is leaf `index` of the tree of
    `size` leaves whose root is `root`."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, size: int, old_root: bytes, root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: whether the tree (old_size, old_root) is a prefix of the tree
    (size, root)."""
    if not 0 < old_size <= size:
        return False
    if old_size == size:
        return not proof and old_root == root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root heads the path
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == root


@dataclass
class Frontier:
    """A tree of `size` leaves kept as the roots of its perfect subtrees, largest first:
    enough to append leaves and compute the root without the leaves themselves."""

    size: int = 0
    peaks: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> None:
        self.peaks.append(leaf)
        self.size += 1
        n = self.size
        while n & 1 == 0:  # merge equal-sized subtrees, as binary addition carries
            right = self.peaks.pop()
            self.peaks[-1] = node_hash(self.peaks[-1], right)
            n >>= 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Appends the leaves a perfect subtree at a time: each subtree is hashed level by
        level in one pass (far fewer Python calls than a leaf at a time), then joins the
        peaks as a single leaf of its size would."""
        batch = leaves if isinstance(leaves, list) else list(leaves)
        i, remaining = 0, len(batch)
        while remaining:
            room = self.size & -self.size or remaining  # the smallest peak's size bounds it
            p = 1 << (min(room, remaining).bit_length() - 1)
            level = batch[i : i + p]
            while len(level) > 1:
                level = [
                    _sha256(b"\x01" + level[j] + level[j + 1]).digest()
                    for j in range(0, len(level), 2)
                ]
            self.peaks.append(level[0])
            self.size += p
            n = self.size // p
            while n & 1 == 0:
                right = self.peaks.pop()
                self.peaks[-1] = node_hash(self.peaks[-1], right)
                n >>= 1
            i += p
            remaining -= p

    def root(self) -> bytes:
        if not self.peaks:
            return EMPTY_ROOT
        r = self.peaks[-1]
        for peak in reversed(self.peaks[:-1]):
            r = node_hash(peak, r)
        return r
