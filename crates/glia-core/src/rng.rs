//! Counter-based random streams.
//!
//! glia never keeps a sequential random generator that is shared between neurons. Every random
//! number is computed from a *counter* and a *key* with the Philox4x32-10 bijection (Salmon,
//! Moraes, Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3"):
//!
//! - key (64 bit) = the model seed, mixed with the high half of the step number;
//! - counter (128 bit) = `[index, step (low 32 bits), draw, purpose << 24 | id]`.
//!
//! `purpose` separates independent uses (connectivity, weights, delays, initial state, Poisson
//! input, ...), `id` is the population, projection or input number, `index` the neuron or
//! synapse, `step` the time step (or 0 during network construction) and `draw` counts the
//! 128-bit blocks consumed by one [`CounterRng`]. Because the stream of a neuron at a step does
//! not depend on any other neuron, a simulation gives bit-identical results for any thread count.

use rand_core::{RngCore, impls};

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// The Philox4x32 bijection with 10 rounds.
#[inline(always)]
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = ctr;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let p0 = u64::from(M0) * u64::from(c[0]);
        let p1 = u64::from(M1) * u64::from(c[2]);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// Philox4x32-10 on `L` counters at once, struct-of-arrays (`c[word][lane]`), so that the
/// compiler vectorises across lanes. Same results as [`philox4x32_10`] lane by lane.
#[inline(always)]
pub fn philox4x32_10_lanes<const L: usize>(c: &mut [[u32; L]; 4], key: [u32; 2]) {
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        for l in 0..L {
            let p0 = u64::from(M0) * u64::from(c[0][l]);
            let p1 = u64::from(M1) * u64::from(c[2][l]);
            let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
            let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
            let n0 = hi1 ^ c[1][l] ^ k[0];
            let n2 = hi0 ^ c[3][l] ^ k[1];
            c[0][l] = n0;
            c[1][l] = lo1;
            c[2][l] = n2;
            c[3][l] = lo0;
        }
    }
}

/// 32 random bits per element of `out`, for elements `first..first + out.len()` of the stream
/// `(seed, purpose, id, step)`: element `e` takes word `e % 4` of the Philox block with counter
/// `[e / 4, step, 0, purpose << 24 | id]`. `first` must be a multiple of 4. The value of an
/// element does not depend on the range requested, so any split of the elements over threads
/// gives the same numbers.
pub fn random_u32(seed: u64, purpose: Purpose, id: u32, step: u64, first: u32, out: &mut [u32]) {
    const L: usize = 16;
    debug_assert!(first.is_multiple_of(4));
    let proto = CounterRng::new(seed, purpose, id, 0, step);
    let (key, ctr) = (proto.key, proto.ctr);
    let blocks = out.len().div_ceil(4);
    let mut b = 0;
    while b < blocks {
        let lanes = L.min(blocks - b);
        let mut c = [[0u32; L]; 4];
        for l in 0..L {
            c[0][l] = first / 4 + (b + l) as u32;
            c[1][l] = ctr[1];
            c[2][l] = ctr[2];
            c[3][l] = ctr[3];
        }
        philox4x32_10_lanes(&mut c, key);
        for l in 0..lanes {
            for w in 0..4 {
                let e = (b + l) * 4 + w;
                if e < out.len() {
                    out[e] = c[w][l];
                }
            }
        }
        b += lanes;
    }
}

/// Like [`random_u32`], as uniform numbers in [0, 1) (32 random bits each).
pub fn uniforms_u32(seed: u64, purpose: Purpose, id: u32, step: u64, first: u32, out: &mut [f64]) {
    let mut bits = [0u32; 256];
    for (k, chunk) in out.chunks_mut(256).enumerate() {
        let bits = &mut bits[..chunk.len()];
        random_u32(seed, purpose, id, step, first + (k * 256) as u32, bits);
        for (u, &b) in chunk.iter_mut().zip(bits.iter()) {
            *u = f64::from(b) * (1.0 / 4_294_967_296.0);
        }
    }
}

/// What a random stream is used for; part of the counter so that uses never overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Purpose {
    /// Which synapses exist (connection rules).
    Connect = 1,
    /// Synaptic weights drawn from a distribution.
    Weight = 2,
    /// Synaptic delays drawn from a distribution.
    Delay = 3,
    /// Initial values of state variables.
    Initial = 4,
    /// Poisson spike sources (populations).
    PoissonSource = 5,
    /// Poisson drive injected directly into a receptor port.
    PoissonDrive = 6,
    /// Per-neuron parameters drawn from a distribution.
    Parameter = 7,
    /// Gaussian noise currents.
    NoiseCurrent = 8,
    /// Associative memories and sparse distributed representations (`glia-memory`): random
    /// SDRs, encoders, synapse growth, update orders and Glauber dynamics.
    Memory = 16,
    /// Random permutation of grid points over populations (`[[grids]]` with `shuffle`).
    Layout = 20,
    /// Random reward delays of `kind = "reward"` modulators.
    Modulator = 21,
    /// Reservoir input weights `W_in` (glia-reservoir).
    ReservoirInput = 22,
    /// Generated task data (glia-reservoir: input sequences, targets).
    ReservoirTask = 23,
    /// Free for tests and user code.
    Other = 255,
}

/// A sequential generator over one counter-based stream.
///
/// Creating one costs nothing (no key schedule, no buffer fill), so the engine makes one per
/// neuron per step where it needs randomness.
#[derive(Clone, Debug)]
pub struct CounterRng {
    key: [u32; 2],
    ctr: [u32; 4],
    buf: [u32; 4],
    pos: usize,
}

impl CounterRng {
    /// The stream for `(seed, purpose, id, index, step)`.
    ///
    /// `id` must fit in 24 bits (populations, projections and inputs are numbered from 0).
    #[inline]
    pub fn new(seed: u64, purpose: Purpose, id: u32, index: u32, step: u64) -> Self {
        debug_assert!(id < (1 << 24), "stream id {id} does not fit in 24 bits");
        let step_hi = (step >> 32) as u32;
        let key = [
            seed as u32,
            ((seed >> 32) as u32) ^ step_hi.wrapping_mul(0x85EB_CA6B),
        ];
        let ctr = [
            index,
            step as u32,
            0,
            (purpose as u32) << 24 | (id & 0x00FF_FFFF),
        ];
        Self {
            key,
            ctr,
            buf: [0; 4],
            pos: 4,
        }
    }

    #[inline(always)]
    fn refill(&mut self) {
        self.buf = philox4x32_10(self.ctr, self.key);
        self.ctr[2] = self.ctr[2].wrapping_add(1);
        self.pos = 0;
    }

    /// A uniform number in [0, 1) with 53 random bits.
    #[inline(always)]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform number in (0, 1]: safe to take the logarithm of.
    #[inline(always)]
    pub fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (Lemire's nearly-divisionless method, unbiased). `n > 0`.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// A standard normal number (Box–Muller, both outputs not cached so the stream stays simple).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform_open0();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A Poisson-distributed count with mean `lambda`, given `exp_neg_lambda = exp(-lambda)`.
    ///
    /// Inversion by sequential search for `lambda < 30` (one uniform, about `lambda + 1`
    /// multiplications); above that, the normal approximation with continuity correction is not
    /// good enough, so the PTRS transformed rejection of Hörmann (1993) is used.
    #[inline]
    pub fn poisson(&mut self, lambda: f64, exp_neg_lambda: f64) -> u32 {
        if lambda < 30.0 {
            let u = self.uniform();
            let mut k = 0u32;
            let mut p = exp_neg_lambda;
            let mut cdf = p;
            while u >= cdf && k < 1000 {
                k += 1;
                p *= lambda / f64::from(k);
                cdf += p;
            }
            k
        } else {
            self.poisson_ptrs(lambda)
        }
    }

    fn poisson_ptrs(&mut self, lambda: f64) -> u32 {
        let slam = lambda.sqrt();
        let loglam = lambda.ln();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.uniform() - 0.5;
            let v = self.uniform();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k as u32;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            let lhs = (v * invalpha / (a / (us * us) + b)).ln();
            let rhs = -lambda + k * loglam - ln_factorial(k);
            if lhs <= rhs {
                return k as u32;
            }
        }
    }
}

fn ln_factorial(k: f64) -> f64 {
    // Stirling series; exact enough (error < 1e-10) for k >= 10, direct sum below.
    if k < 10.0 {
        (2..=(k as u32)).map(|i| f64::from(i).ln()).sum()
    } else {
        let k1 = k + 1.0;
        (k1 - 0.5) * k1.ln() - k1 + 0.5 * std::f64::consts::TAU.ln() + 1.0 / (12.0 * k1)
            - 1.0 / (360.0 * k1 * k1 * k1)
    }
}

impl RngCore for CounterRng {
    #[inline(always)]
    fn next_u32(&mut self) -> u32 {
        if self.pos >= 4 {
            self.refill();
        }
        let x = self.buf[self.pos];
        self.pos += 1;
        x
    }

    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        if self.pos >= 3 {
            self.refill();
        }
        let x = u64::from(self.buf[self.pos]) | (u64::from(self.buf[self.pos + 1]) << 32);
        self.pos += 2;
        x
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        impls::fill_bytes_via_next(self, dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors of Random123 (kat_vectors, philox4x32_10).
    #[test]
    fn philox_known_answers() {
        assert_eq!(
            philox4x32_10([0, 0, 0, 0], [0, 0]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn lanes_match_scalar_and_any_split() {
        let key = [0x1234_5678, 0x9abc_def0];
        let mut c = [[0u32; 16]; 4];
        for l in 0..16 {
            c[0][l] = l as u32 * 7;
            c[1][l] = 3;
            c[2][l] = 5 + l as u32;
            c[3][l] = 0xdead;
        }
        let orig = c;
        philox4x32_10_lanes(&mut c, key);
        for l in 0..16 {
            let want = philox4x32_10([orig[0][l], orig[1][l], orig[2][l], orig[3][l]], key);
            assert_eq!([c[0][l], c[1][l], c[2][l], c[3][l]], want);
        }
        let mut all = vec![0.0; 203];
        uniforms_u32(9, Purpose::PoissonDrive, 2, 77, 0, &mut all);
        let mut part = vec![0.0; 103];
        uniforms_u32(9, Purpose::PoissonDrive, 2, 77, 100, &mut part);
        assert_eq!(&all[100..], &part[..]);
        assert!(all.iter().all(|&u| (0.0..1.0).contains(&u)));
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        assert!((mean - 0.5).abs() < 0.1);
    }

    #[test]
    fn streams_are_pure_functions_of_their_key() {
        let a: Vec<u64> = {
            let mut r = CounterRng::new(7, Purpose::Initial, 3, 11, 5);
            (0..10).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = CounterRng::new(7, Purpose::Initial, 3, 11, 5);
            (0..10).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        let mut c = CounterRng::new(7, Purpose::Initial, 3, 12, 5);
        assert_ne!(a[0], c.next_u64());
        let mut d = CounterRng::new(7, Purpose::Weight, 3, 11, 5);
        assert_ne!(a[0], d.next_u64());
        let mut e = CounterRng::new(7, Purpose::Initial, 3, 11, 5 + (1 << 32));
        assert_ne!(a[0], e.next_u64());
    }

    /// Mean and variance of uniforms, normals and Poisson counts within 5 standard errors.
    #[test]
    fn distribution_moments() {
        let n = 200_000usize;
        let mut r = CounterRng::new(1, Purpose::Other, 0, 0, 0);
        let u: Vec<f64> = (0..n).map(|_| r.uniform()).collect();
        let mean = u.iter().sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 5.0 * (1.0f64 / 12.0 / n as f64).sqrt());
        let z: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let zm = z.iter().sum::<f64>() / n as f64;
        let zv = z.iter().map(|x| (x - zm) * (x - zm)).sum::<f64>() / n as f64;
        assert!(zm.abs() < 5.0 / (n as f64).sqrt(), "normal mean {zm}");
        assert!(
            (zv - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(),
            "normal var {zv}"
        );
        for &lam in &[0.02f64, 2.0, 12.0, 45.0, 400.0] {
            let e = (-lam).exp();
            let k: Vec<f64> = (0..n).map(|_| f64::from(r.poisson(lam, e))).collect();
            let m = k.iter().sum::<f64>() / n as f64;
            let v = k.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
            assert!(
                (m - lam).abs() < 5.0 * (lam / n as f64).sqrt(),
                "poisson({lam}) mean {m}"
            );
            assert!(
                (v - lam).abs() < 6.0 * lam * (2.0 / n as f64).sqrt() + 1e-3,
                "poisson({lam}) var {v}"
            );
        }
        for &b in &[1u64, 3, 1000, 1 << 40] {
            for _ in 0..1000 {
                assert!(r.below(b) < b);
            }
        }
    }
}
