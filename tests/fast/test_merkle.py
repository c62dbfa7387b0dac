"""The RFC 9162 Merkle tree: the published reference vectors, the RFC's recursive
definitions as an oracle for every tree shape, and proofs that must fail."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from services.adapters.merkle import (
    EMPTY_ROOT,
    Frontier,
    Levels,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# The test vectors shared by Certificate Transparency implementations (RFC 6962 trees).
DATA = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION_0_OF_8 = [
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]


# RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 as written: the oracle.
def mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return d[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(mth(d[:k]), mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


LEAVES = [leaf_hash(bytes([i, i * 7 % 256])) for i in range(70)]


def test_reference_roots() -> None:
    hashes = [leaf_hash(d) for d in DATA]
    assert EMPTY_ROOT.hex() == ROOTS[0]
    for n in range(9):
        assert root_of(hashes[:n]).hex() == ROOTS[n]
        frontier = Frontier()
        frontier.extend(hashes[:n])
        assert frontier.root().hex() == ROOTS[n]
    levels = Levels(hashes)
    assert [p.hex() for p in levels.inclusion_proof(0)] == INCLUSION_0_OF_8
    assert verify_inclusion(hashes[0], 0, 8, levels.inclusion_proof(0), bytes.fromhex(ROOTS[8]))


def test_every_shape_matches_the_rfc_definitions() -> None:
    grown = Levels([])
    for n in range(1, len(LEAVES) + 1):
        grown.extend([LEAVES[n - 1]])
        built = Levels(LEAVES[:n])
        root = mth(LEAVES[:n])
        assert grown.root() == built.root() == root
        assert Levels(LEAVES).root(n) == root
        for m in range(n):
            proof = grown.inclusion_proof(m)
            assert proof == path(m, LEAVES[:n])
            assert verify_inclusion(LEAVES[m], m, n, proof, root)
        for m in range(1, n + 1):
            proof = Levels(LEAVES).consistency_proof(m, n)
            assert proof == ([] if m == n else subproof(m, LEAVES[:n], True))
            assert verify_consistency(m, n, mth(LEAVES[:m]), root, proof)


def test_extending_in_chunks_equals_building_at_once() -> None:
    levels = Levels([])
    frontier = Frontier()
    for lo, hi in ((0, 3), (3, 4), (4, 17), (17, 32), (32, 70)):
        levels.extend(LEAVES[lo:hi])
        frontier.extend(LEAVES[lo:hi])
        assert levels.root() == frontier.root() == mth(LEAVES[:hi])
        assert frontier.size == hi


@pytest.mark.parametrize("n", [1, 2, 5, 8, 13, 64, 70])
def test_wrong_inclusion_claims_fail(n: int) -> None:
    levels = Levels(LEAVES[:n])
    root = levels.root()
    for m in range(n):
        proof = levels.inclusion_proof(m)
        other = LEAVES[(m + 1) % len(LEAVES)]
        assert not verify_inclusion(other, m, n, proof, root)
        assert not verify_inclusion(LEAVES[m], m, n, proof, EMPTY_ROOT)
        if proof:
            bent = [*proof[:-1], bytes(32)]
            assert not verify_inclusion(LEAVES[m], m, n, bent, root)
            assert not verify_inclusion(LEAVES[m], m, n, proof[:-1], root)
        if n > 1:
            assert not verify_inclusion(LEAVES[m], (m + 1) % n, n, proof, root)


def test_wrong_consistency_claims_fail() -> None:
    levels = Levels(LEAVES)
    altered = list(LEAVES)
    altered[5] = leaf_hash(b"altered")
    for m in (1, 4, 6, 7, 31, 32, 33):
        proof = levels.consistency_proof(m)
        old = levels.root(m)
        assert verify_consistency(m, 70, old, levels.root(), proof)
        assert not verify_consistency(
            m, 70, root_of(altered[:m]) if m > 5 else EMPTY_ROOT, levels.root(), proof
        )
        assert not verify_consistency(m, 70, old, root_of(altered), proof)
        if proof:
            assert not verify_consistency(m, 70, old, levels.root(), proof[:-1])


def test_sizes_out_of_range_are_refused() -> None:
    levels = Levels(LEAVES[:5])
    with pytest.raises(ValueError, match="size must be within"):
        levels.root(6)
    with pytest.raises(ValueError, match="not in a tree of size 5"):
        levels.inclusion_proof(5)
    with pytest.raises(ValueError, match="no consistency proof"):
        levels.consistency_proof(0)
    assert not verify_consistency(0, 5, EMPTY_ROOT, levels.root(), [])
    assert not verify_inclusion(LEAVES[0], 0, 0, [], EMPTY_ROOT)


@pytest.mark.parametrize("cuts", [(0, 70), (0, 1, 70), (0, 5, 6, 38, 70), (0, 64, 65, 70)])
def test_extending_a_subtree_at_a_time_keeps_the_peaks_of_leaf_by_leaf(
    cuts: tuple[int, ...],
) -> None:
    batched, one_by_one = Frontier(), Frontier()
    for lo, hi in itertools.pairwise(cuts):
        batched.extend(LEAVES[lo:hi])
        for leaf in LEAVES[lo:hi]:
            one_by_one.append(leaf)
        assert (batched.size, batched.peaks) == (one_by_one.size, one_by_one.peaks)
        assert batched.root() == mth(LEAVES[:hi])
