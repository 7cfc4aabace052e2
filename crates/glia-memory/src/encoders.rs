//! Encoders: values to [`Sdr`]s with a fixed number of active bits.
//!
//! - [`ScalarEncoder`]: a block of `w` contiguous active bits whose position is proportional to
//!   the value, so that nearby values overlap (values `k` buckets apart share `w − k` bits);
//! - [`CategoryEncoder`]: disjoint blocks of `w` bits, one per category (no overlap);
//! - [`RandomEncoder`]: any `u64` key to `w` random bits of `n`, a pure function of
//!   `(seed, key)` (unrelated keys overlap by chance only, `w²/n` bits on average).

use crate::error::{MemoryError, Result};
use crate::sdr::Sdr;
use glia_core::rng::{CounterRng, Purpose};

fn check_nw(n: u32, w: u32) -> Result<()> {
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
    Ok(())
}

/// Scalars in `[min, max]` (clipped) to `w` contiguous active bits out of `n`
/// (`n − w + 1` buckets).
#[derive(Clone, Debug, PartialEq)]
pub struct ScalarEncoder {
    n: u32,
    w: u32,
    min: f64,
    max: f64,
}

impl ScalarEncoder {
    /// Errors: `n` or `w` zero, `w > n`, `min`/`max` not finite or `min >= max`.
    pub fn new(n: u32, w: u32, min: f64, max: f64) -> Result<Self> {
        check_nw(n, w)?;
        if !min.is_finite() {
            return Err(MemoryError::param("min", "must be finite", min));
        }
        if !(max.is_finite() && max > min) {
            return Err(MemoryError::param("max", "must be finite and > min", max));
        }
        Ok(Self { n, w, min, max })
    }

    /// Number of buckets, `n − w + 1`.
    pub fn buckets(&self) -> u32 {
        self.n - self.w + 1
    }

    /// The SDR of `x` (clipped to `[min, max]`). Errors: `x` is NaN.
    pub fn encode(&self, x: f64) -> Result<Sdr> {
        if x.is_nan() {
            return Err(MemoryError::param("x", "must not be NaN", x));
        }
        let t = ((x - self.min) / (self.max - self.min)).clamp(0.0, 1.0);
        let b = (t * f64::from(self.buckets() - 1)).round() as u32;
        Ok(Sdr::from_sorted_unchecked(
            self.n,
            (b..b + self.w).collect(),
        ))
    }
}

/// Categories `0..categories` to disjoint blocks of `w` bits (`n = categories · w`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryEncoder {
    categories: u32,
    w: u32,
}

impl CategoryEncoder {
    /// Errors: zero categories or `w`, `categories · w` beyond `u32`.
    pub fn new(categories: u32, w: u32) -> Result<Self> {
        if categories == 0 {
            return Err(MemoryError::param("categories", "must be > 0", categories));
        }
        if w == 0 {
            return Err(MemoryError::param("w", "must be > 0", w));
        }
        categories.checked_mul(w).ok_or(MemoryError::param(
            "w",
            "categories * w must fit in u32",
            w,
        ))?;
        Ok(Self { categories, w })
    }

    /// SDR size `categories · w`.
    pub fn size(&self) -> u32 {
        self.categories * self.w
    }

    /// The SDR of category `c`. Errors: `c >= categories`.
    pub fn encode(&self, c: u32) -> Result<Sdr> {
        if c >= self.categories {
            return Err(MemoryError::IndexOutOfRange {
                index: c.into(),
                size: self.categories,
            });
        }
        let first = c * self.w;
        Ok(Sdr::from_sorted_unchecked(
            self.size(),
            (first..first + self.w).collect(),
        ))
    }
}

/// Keys to random SDRs of `w` active bits out of `n`, from the stream
/// `(seed, Purpose::Memory, 0xE1, key mod 2³², key / 2³²)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RandomEncoder {
    n: u32,
    w: u32,
    seed: u64,
}

impl RandomEncoder {
    /// Errors: `n` or `w` zero, `w > n`.
    pub fn new(n: u32, w: u32, seed: u64) -> Result<Self> {
        check_nw(n, w)?;
        Ok(Self { n, w, seed })
    }

    /// The SDR of `key` (always the same for the same seed and key).
    pub fn encode(&self, key: u64) -> Sdr {
        let mut rng = CounterRng::new(self.seed, Purpose::Memory, 0xE1, key as u32, key >> 32);
        Sdr::random(self.n, self.w, &mut rng).expect("n, w checked")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_overlap_falls_with_distance() {
        let e = ScalarEncoder::new(100, 21, 0.0, 80.0).unwrap();
        assert_eq!(e.buckets(), 80);
        let a = e.encode(10.0).unwrap();
        assert_eq!(a.active_count(), 21);
        for k in 0..25u32 {
            let b = e.encode(10.0 + f64::from(k) * 80.0 / 79.0).unwrap();
            assert_eq!(a.overlap(&b), 21usize.saturating_sub(k as usize));
        }
        assert_eq!(e.encode(-5.0).unwrap(), e.encode(0.0).unwrap());
        assert_eq!(e.encode(1e9).unwrap().indices()[20], 99);
        assert!(e.encode(f64::NAN).is_err());
        assert!(ScalarEncoder::new(10, 11, 0.0, 1.0).is_err());
        assert!(ScalarEncoder::new(10, 3, 1.0, 1.0).is_err());
    }

    #[test]
    fn categories_and_random_keys() {
        let c = CategoryEncoder::new(5, 8).unwrap();
        assert_eq!(c.encode(0).unwrap().overlap(&c.encode(1).unwrap()), 0);
        assert_eq!(c.encode(4).unwrap().indices()[7], 39);
        assert!(c.encode(5).is_err());
        let r = RandomEncoder::new(2048, 40, 1).unwrap();
        assert_eq!(r.encode(7), r.encode(7));
        assert!(r.encode(7).overlap(&r.encode(8)) < 10);
        assert_eq!(r.encode(u64::MAX).active_count(), 40);
        assert!(RandomEncoder::new(10, 0, 1).is_err());
    }
}
