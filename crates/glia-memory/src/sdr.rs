//! Sparse distributed representations (SDRs): `n` bits of which a few (`w`) are active.
//!
//! An [`Sdr`] keeps its active bits twice: as a sorted list of indices (what iteration, union and
//! learning want) and as a bitset of `⌈n/64⌉` words (what membership tests want). Overlap, the
//! central operation, has three implementations measured by the `memory_bench` example:
//!
//! | method | work | use |
//! |---|---|---|
//! | [`Sdr::overlap_merge`] | `w_a + w_b` comparisons (sorted merge) | none of the others |
//! | [`Sdr::overlap_popcount`] | `n / 64` AND + popcount | dense SDRs, small `n` |
//! | [`Sdr::overlap_gather`] | `min(w_a, w_b)` bit probes into the other's bitset | sparse SDRs |
//!
//! [`Sdr::overlap`] picks the popcount when `n / 64` is below the smaller active count and the
//! gather otherwise; both beat the merge at every size measured (see `docs/memory.md`).
//!
//! Randomness comes from [`glia_core::rng::CounterRng`] streams (use
//! [`glia_core::rng::Purpose::Memory`]), so results do not depend on threads.

use crate::error::{MemoryError, Result};
use glia_core::rng::CounterRng;

/// A binary pattern of `n` bits with a set of active indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sdr {
    n: u32,
    idx: Vec<u32>,
    bits: Vec<u64>,
}

impl Sdr {
    /// An SDR of size `n` with the given active indices (any order; duplicates are merged).
    ///
    /// Errors: `n == 0`, an index `>= n`.
    pub fn new(n: u32, indices: impl IntoIterator<Item = u32>) -> Result<Self> {
        if n == 0 {
            return Err(MemoryError::param("n", "must be > 0", n));
        }
        let mut idx: Vec<u32> = indices.into_iter().collect();
        if let Some(&bad) = idx.iter().find(|&&i| i >= n) {
            return Err(MemoryError::IndexOutOfRange {
                index: u64::from(bad),
                size: n,
            });
        }
        idx.sort_unstable();
        idx.dedup();
        Ok(Self::from_sorted_unchecked(n, idx))
    }

    /// An SDR with no active bit.
    pub fn empty(n: u32) -> Result<Self> {
        Self::new(n, [])
    }

    /// From a dense boolean vector (its length is `n`).
    pub fn from_dense(dense: &[bool]) -> Result<Self> {
        let n = u32::try_from(dense.len())
            .map_err(|_| MemoryError::param("dense.len()", "must fit in u32", dense.len()))?;
        Self::new(n, (0..n).filter(|&i| dense[i as usize]))
    }

    /// Sorted, deduplicated, in-range indices (checked in debug builds only).
    pub(crate) fn from_sorted_unchecked(n: u32, idx: Vec<u32>) -> Self {
        debug_assert!(idx.windows(2).all(|p| p[0] < p[1]));
        debug_assert!(idx.last().is_none_or(|&i| i < n));
        let mut bits = vec![0u64; (n as usize).div_ceil(64)];
        for &i in &idx {
            bits[(i >> 6) as usize] |= 1u64 << (i & 63);
        }
        Self { n, idx, bits }
    }

    /// `w` distinct active bits drawn uniformly from `0..n` (Floyd's algorithm: `w` draws).
    ///
    /// Errors: `n == 0`, `w == 0`, `w > n`.
    pub fn random(n: u32, w: u32, rng: &mut CounterRng) -> Result<Self> {
        if n == 0 {
            return Err(MemoryError::param("n", "must be > 0", n));
        }
        if w == 0 {
            return Err(MemoryError::param("w", "must be > 0", w));
        }
        if w > n {
            return Err(MemoryError::param(
                "w",
                "must be <= n",
                format!("{w} > {n}"),
            ));
        }
        let mut bits = vec![0u64; (n as usize).div_ceil(64)];
        floyd_sample(n, w, rng, &mut bits);
        let mut idx = Vec::with_capacity(w as usize);
        bits_to_indices(&bits, &mut idx);
        Ok(Self { n, idx, bits })
    }

    /// Size `n` (number of bits).
    pub fn size(&self) -> u32 {
        self.n
    }

    /// Number of active bits `w`.
    pub fn active_count(&self) -> usize {
        self.idx.len()
    }

    /// `true` when no bit is active.
    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }

    /// Fraction of active bits, `w / n`.
    pub fn sparsity(&self) -> f64 {
        self.idx.len() as f64 / f64::from(self.n)
    }

    /// The active indices, sorted ascending.
    pub fn indices(&self) -> &[u32] {
        &self.idx
    }

    /// The bitset: bit `i % 64` of word `i / 64` is bit `i`.
    pub fn words(&self) -> &[u64] {
        &self.bits
    }

    /// Whether bit `i` is active (`false` for `i >= n`).
    #[inline]
    pub fn contains(&self, i: u32) -> bool {
        i < self.n && (self.bits[(i >> 6) as usize] >> (i & 63)) & 1 == 1
    }

    /// Dense boolean copy.
    pub fn to_dense(&self) -> Vec<bool> {
        (0..self.n).map(|i| self.contains(i)).collect()
    }

    fn check_size(&self, other: &Sdr, what: &'static str) -> Result<()> {
        if self.n == other.n {
            Ok(())
        } else {
            Err(MemoryError::SizeMismatch {
                what,
                left: self.n as usize,
                right: other.n as usize,
            })
        }
    }

    /// Number of bits active in both. Sizes should match: with different sizes only the bits
    /// below the smaller size are compared (no panic). [`Sdr::try_overlap`] checks the sizes.
    #[inline]
    pub fn overlap(&self, other: &Sdr) -> usize {
        let w = self.idx.len().min(other.idx.len());
        if self.bits.len() < w {
            self.overlap_popcount(other)
        } else {
            self.overlap_gather(other)
        }
    }

    /// [`Sdr::overlap`] with a size check.
    pub fn try_overlap(&self, other: &Sdr) -> Result<usize> {
        self.check_size(other, "overlap")?;
        Ok(self.overlap(other))
    }

    /// Overlap by a sorted merge of the two index lists.
    pub fn overlap_merge(&self, other: &Sdr) -> usize {
        let (a, b) = (&self.idx, &other.idx);
        let (mut i, mut j, mut c) = (0, 0, 0);
        while i < a.len() && j < b.len() {
            let (x, y) = (a[i], b[j]);
            c += usize::from(x == y);
            i += usize::from(x <= y);
            j += usize::from(y <= x);
        }
        c
    }

    /// Overlap by AND and popcount over the bitsets.
    pub fn overlap_popcount(&self, other: &Sdr) -> usize {
        self.bits
            .iter()
            .zip(&other.bits)
            .map(|(x, y)| (x & y).count_ones() as usize)
            .sum()
    }

    /// Overlap by probing the larger SDR's bitset at the smaller SDR's indices.
    pub fn overlap_gather(&self, other: &Sdr) -> usize {
        let (small, big) = if self.idx.len() <= other.idx.len() {
            (self, other)
        } else {
            (other, self)
        };
        small
            .idx
            .iter()
            .map(|&i| {
                big.bits
                    .get((i >> 6) as usize)
                    .map_or(0, |w| ((w >> (i & 63)) & 1) as usize)
            })
            .sum()
    }

    /// Bits active in either.
    pub fn union(&self, other: &Sdr) -> Result<Sdr> {
        self.check_size(other, "union")?;
        let bits: Vec<u64> = self
            .bits
            .iter()
            .zip(&other.bits)
            .map(|(x, y)| x | y)
            .collect();
        Ok(Self::from_bits(self.n, bits))
    }

    /// Bits active in both.
    pub fn intersection(&self, other: &Sdr) -> Result<Sdr> {
        self.check_size(other, "intersection")?;
        let bits: Vec<u64> = self
            .bits
            .iter()
            .zip(&other.bits)
            .map(|(x, y)| x & y)
            .collect();
        Ok(Self::from_bits(self.n, bits))
    }

    /// Union of many SDRs of one size. Errors: no SDRs, a size mismatch.
    pub fn union_all<'a>(sdrs: impl IntoIterator<Item = &'a Sdr>) -> Result<Sdr> {
        let mut it = sdrs.into_iter();
        let first = it.next().ok_or(MemoryError::param(
            "sdrs",
            "must contain at least one SDR",
            0,
        ))?;
        let mut bits = first.bits.clone();
        for s in it {
            first.check_size(s, "union_all")?;
            for (b, x) in bits.iter_mut().zip(&s.bits) {
                *b |= x;
            }
        }
        Ok(Self::from_bits(first.n, bits))
    }

    fn from_bits(n: u32, bits: Vec<u64>) -> Sdr {
        let mut idx = Vec::new();
        bits_to_indices(&bits, &mut idx);
        Sdr { n, idx, bits }
    }

    /// `k` of the active bits, chosen uniformly without replacement.
    ///
    /// Errors: an empty SDR, `k > w`.
    pub fn subsample(&self, k: usize, rng: &mut CounterRng) -> Result<Sdr> {
        if self.idx.is_empty() {
            return Err(MemoryError::EmptySdr { what: "subsample" });
        }
        let w = self.idx.len();
        if k > w {
            return Err(MemoryError::param(
                "k",
                "must be <= the number of active bits",
                format!("{k} > {w}"),
            ));
        }
        let mut pick = vec![0u64; w.div_ceil(64)];
        floyd_sample(w as u32, k as u32, rng, &mut pick);
        let mut pos = Vec::with_capacity(k);
        bits_to_indices(&pick, &mut pos);
        let idx = pos.into_iter().map(|p| self.idx[p as usize]).collect();
        Ok(Self::from_sorted_unchecked(self.n, idx))
    }

    /// Moves `v` active bits to `v` positions that were inactive (chosen uniformly), keeping the
    /// number of active bits: the noise model of Ahmad & Hawkins (2016).
    ///
    /// Errors: an empty SDR, `v > w`, `v > n − w`.
    pub fn add_noise(&self, v: usize, rng: &mut CounterRng) -> Result<Sdr> {
        let w = self.idx.len();
        if w == 0 {
            return Err(MemoryError::EmptySdr { what: "add_noise" });
        }
        if v > w {
            return Err(MemoryError::param(
                "v",
                "must be <= the number of active bits",
                format!("{v} > {w}"),
            ));
        }
        let free = self.n as usize - w;
        if v > free {
            return Err(MemoryError::param(
                "v",
                "must be <= the number of inactive bits",
                format!("{v} > {free}"),
            ));
        }
        // Which active bits go: v of the w positions.
        let mut off = vec![0u64; w.div_ceil(64)];
        floyd_sample(w as u32, v as u32, rng, &mut off);
        // Where they go: v distinct inactive bits (rank among the inactive bits).
        let mut on = vec![0u64; free.div_ceil(64)];
        floyd_sample(free as u32, v as u32, rng, &mut on);
        let mut ranks = Vec::with_capacity(v);
        bits_to_indices(&on, &mut ranks);
        let mut bits = self.bits.clone();
        for (p, &i) in self.idx.iter().enumerate() {
            if (off[p >> 6] >> (p & 63)) & 1 == 1 {
                bits[(i >> 6) as usize] &= !(1u64 << (i & 63));
            }
        }
        // Map each rank r to the r-th inactive bit of the original SDR (ranks ascending).
        let mut r_iter = ranks.into_iter().peekable();
        let (mut rank, mut act) = (0u32, 0usize);
        for i in 0..self.n {
            let Some(&want) = r_iter.peek() else { break };
            if act < w && self.idx[act] == i {
                act += 1;
                continue;
            }
            if rank == want {
                bits[(i >> 6) as usize] |= 1u64 << (i & 63);
                r_iter.next();
            }
            rank += 1;
        }
        Ok(Self::from_bits(self.n, bits))
    }
}

/// Sets `k` distinct bits among `0..m` in `bits` (Floyd 1987: one draw per chosen bit).
pub(crate) fn floyd_sample(m: u32, k: u32, rng: &mut CounterRng, bits: &mut [u64]) {
    debug_assert!(k <= m);
    for j in (m - k)..m {
        let t = rng.below(u64::from(j) + 1) as u32;
        let (wt, bt) = ((t >> 6) as usize, t & 63);
        if (bits[wt] >> bt) & 1 == 1 {
            bits[(j >> 6) as usize] |= 1u64 << (j & 63);
        } else {
            bits[wt] |= 1u64 << bt;
        }
    }
}

/// Appends the indices of the set bits, ascending.
pub(crate) fn bits_to_indices(bits: &[u64], out: &mut Vec<u32>) {
    for (k, &word) in bits.iter().enumerate() {
        let mut x = word;
        while x != 0 {
            out.push((k as u32) << 6 | x.trailing_zeros());
            x &= x - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glia_core::rng::Purpose;

    fn rng(i: u32) -> CounterRng {
        CounterRng::new(1, Purpose::Memory, 0, i, 0)
    }

    #[test]
    fn overlaps_agree() {
        for (n, w) in [
            (100u32, 7u32),
            (2048, 40),
            (100_000, 2000),
            (64, 64),
            (65, 1),
        ] {
            for t in 0..20 {
                let a = Sdr::random(n, w, &mut rng(2 * t)).unwrap();
                let b = Sdr::random(n, w.div_ceil(2), &mut rng(2 * t + 1)).unwrap();
                let want = a.indices().iter().filter(|&&i| b.contains(i)).count();
                assert_eq!(a.overlap_merge(&b), want);
                assert_eq!(a.overlap_popcount(&b), want);
                assert_eq!(a.overlap_gather(&b), want);
                assert_eq!(a.overlap(&b), want);
                assert_eq!(a.active_count(), w as usize);
            }
        }
    }

    #[test]
    fn union_subsample_noise() {
        let a = Sdr::new(50, [1, 3, 5, 49]).unwrap();
        let b = Sdr::new(50, [3, 4]).unwrap();
        assert_eq!(a.union(&b).unwrap().indices(), &[1, 3, 4, 5, 49]);
        assert_eq!(a.intersection(&b).unwrap().indices(), &[3]);
        let s = a.subsample(2, &mut rng(0)).unwrap();
        assert_eq!(s.active_count(), 2);
        assert_eq!(s.overlap(&a), 2);
        for t in 0..50 {
            let x = Sdr::random(200, 20, &mut rng(t)).unwrap();
            let y = x.add_noise(5, &mut rng(1000 + t)).unwrap();
            assert_eq!(y.active_count(), 20);
            assert_eq!(x.overlap(&y), 15);
        }
    }

    #[test]
    fn duplicates_merge_and_bad_input_errors() {
        let a = Sdr::new(10, [3, 3, 1]).unwrap();
        assert_eq!(a.indices(), &[1, 3]);
        assert!(matches!(
            Sdr::new(10, [10]),
            Err(MemoryError::IndexOutOfRange {
                index: 10,
                size: 10
            })
        ));
        assert!(Sdr::new(0, []).is_err());
        let e = Sdr::empty(10).unwrap();
        assert!(matches!(
            e.subsample(1, &mut rng(0)),
            Err(MemoryError::EmptySdr { .. })
        ));
        assert!(e.add_noise(0, &mut rng(0)).is_err());
        assert!(Sdr::random(10, 11, &mut rng(0)).is_err());
        assert!(a.try_overlap(&Sdr::empty(11).unwrap()).is_err());
    }
}
