//! The liquid's structure: neuron classes on a 3-D grid, distance-dependent recurrent
//! connectivity, random input connectivity, per-neuron synaptic time constants, and the
//! synapses in two orders (by presynaptic neuron for delivery, by postsynaptic neuron for
//! potentiation).
//!
//! Neurons `0..n` are the liquid (grid point `i` at `(i / (ny·nz), i / nz % ny, i % nz)`),
//! neurons `n..n + n_in` the input layer. Every random choice comes from a counter-based
//! stream keyed by the seed: labels (`Layout`), τ_u (`Parameter`), recurrent and input
//! connections (`Connect`, ids 0 and 1, index = presynaptic neuron), input signs (`Weight`).

use crate::config::Config;
use glia_core::{CounterRng, Purpose};

/// Presynaptic class of a neuron.
pub const EXC: u8 = 0;
/// Inhibitory liquid neuron.
pub const INH: u8 = 1;
/// Input neuron.
pub const INP: u8 = 2;

/// Structure and initial weights of one liquid.
#[derive(Clone, Debug)]
pub struct Liquid {
    /// Liquid neurons.
    pub n: usize,
    /// Input neurons.
    pub n_in: usize,
    /// Class (`EXC`, `INH`, `INP`) of each of the `n + n_in` neurons.
    pub class: Vec<u8>,
    /// Index into `tau_u` of each liquid neuron (its synaptic kernel, shared by all its
    /// incoming synapses, as in the authors' code).
    pub tau_idx: Vec<u8>,
    /// The distinct kernel time constants \[ms\].
    pub tau_u: Vec<f64>,
    /// CSR by presynaptic neuron (`n + n_in + 1` offsets).
    pub row_ptr: Vec<u32>,
    /// Postsynaptic (liquid) neuron of each synapse, CSR order.
    pub post: Vec<u32>,
    /// Initial weight of each synapse, CSR order.
    pub w0: Vec<f32>,
    /// CSC by postsynaptic liquid neuron (`n + 1` offsets).
    pub col_ptr: Vec<u32>,
    /// Presynaptic neuron of each CSC entry.
    pub col_pre: Vec<u32>,
    /// CSR index of each CSC entry.
    pub col_syn: Vec<u32>,
    /// Lower and upper weight bound per presynaptic class.
    pub bounds: [(f32, f32); 3],
}

impl Liquid {
    /// Build the liquid of `cfg` with `n_in` input neurons.
    pub fn build(cfg: &Config, n_in: usize) -> Self {
        let l = &cfg.liquid;
        let [nx, ny, nz] = l.grid;
        let n = nx * ny * nz;
        let seed = cfg.seed;
        // E/I labels: the first round(f·n) of a random permutation are excitatory.
        let n_exc = (l.excitatory_fraction * n as f64).round() as usize;
        let mut perm: Vec<u32> = (0..n as u32).collect();
        let mut rng = CounterRng::new(seed, Purpose::Layout, 0, 0, 0);
        for i in (1..n).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            perm.swap(i, j);
        }
        let mut class = vec![INH; n + n_in];
        for &p in &perm[..n_exc] {
            class[p as usize] = EXC;
        }
        for c in &mut class[n..] {
            *c = INP;
        }
        let k = l.tau_u.len() as u64;
        let tau_idx: Vec<u8> = (0..n)
            .map(|i| CounterRng::new(seed, Purpose::Parameter, 0, i as u32, 0).below(k) as u8)
            .collect();
        let coord = |i: usize| -> [f64; 3] {
            [
                (i / (ny * nz)) as f64,
                (i / nz % ny) as f64,
                (i % nz) as f64,
            ]
        };
        let w = l.w_init as f32;
        let inv_l2 = 1.0 / (l.lambda * l.lambda);
        let mut row_ptr = Vec::with_capacity(n + n_in + 1);
        let mut post = Vec::new();
        let mut w0 = Vec::new();
        row_ptr.push(0u32);
        for j in 0..n {
            let cj = coord(j);
            let mut rng = CounterRng::new(seed, Purpose::Connect, 0, j as u32, 0);
            for i in 0..n {
                let u = rng.uniform();
                if i == j {
                    continue;
                }
                let ci = coord(i);
                let d2 = (0..3).map(|a| (ci[a] - cj[a]).powi(2)).sum::<f64>();
                let c = l.c[usize::from(class[j]) * 2 + usize::from(class[i])];
                if u < c * (-d2 * inv_l2).exp() {
                    post.push(i as u32);
                    w0.push(if class[j] == EXC { w } else { -w });
                }
            }
            row_ptr.push(post.len() as u32);
        }
        for m in 0..n_in {
            let mut rng = CounterRng::new(seed, Purpose::Connect, 1, m as u32, 0);
            let mut sign = CounterRng::new(seed, Purpose::Weight, 1, m as u32, 0);
            for i in 0..n {
                if rng.uniform() < cfg.input.p_connect {
                    post.push(i as u32);
                    w0.push(if sign.uniform() < 0.5 { w } else { -w });
                }
            }
            row_ptr.push(post.len() as u32);
        }
        // CSC by counting sort over the postsynaptic neuron (stable: pre order kept).
        let mut col_ptr = vec![0u32; n + 1];
        for &p in &post {
            col_ptr[p as usize + 1] += 1;
        }
        for i in 0..n {
            col_ptr[i + 1] += col_ptr[i];
        }
        let mut fill = col_ptr.clone();
        let mut col_pre = vec![0u32; post.len()];
        let mut col_syn = vec![0u32; post.len()];
        for j in 0..n + n_in {
            for s in row_ptr[j]..row_ptr[j + 1] {
                let p = post[s as usize] as usize;
                let at = fill[p] as usize;
                col_pre[at] = j as u32;
                col_syn[at] = s;
                fill[p] += 1;
            }
        }
        let wm = l.w_max as f32;
        Self {
            n,
            n_in,
            class,
            tau_idx,
            tau_u: l.tau_u.clone(),
            row_ptr,
            post,
            w0,
            col_ptr,
            col_pre,
            col_syn,
            bounds: [(0.0, wm), (-wm, 0.0), (-wm, wm)],
        }
    }

    /// Number of synapses.
    pub fn synapses(&self) -> usize {
        self.post.len()
    }

    /// Number of recurrent (liquid → liquid) synapses.
    pub fn recurrent_synapses(&self) -> usize {
        self.row_ptr[self.n] as usize
    }

    /// Postsynaptic liquid neurons of liquid neuron `j`.
    pub fn targets(&self, j: usize) -> &[u32] {
        &self.post[self.row_ptr[j] as usize..self.row_ptr[j + 1] as usize]
    }

    /// Presynaptic liquid neurons of liquid neuron `i` (inputs left out).
    pub fn liquid_sources(&self, i: usize) -> impl Iterator<Item = u32> + '_ {
        self.col_pre[self.col_ptr[i] as usize..self.col_ptr[i + 1] as usize]
            .iter()
            .copied()
            .filter(|&j| (j as usize) < self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_matches_the_rules() {
        let cfg = Config::from_toml("mode = \"nalsm\"", "t").unwrap();
        let liq = Liquid::build(&cfg, 784);
        let n = liq.n;
        assert_eq!(n, 1000);
        assert_eq!(liq.class[..n].iter().filter(|&&c| c == EXC).count(), 800);
        // No self-connections; input density near 0.15 (4 sigma of a binomial).
        for j in 0..n {
            assert!(!liq.targets(j).contains(&(j as u32)));
        }
        let inp = liq.synapses() - liq.recurrent_synapses();
        let (m, p) = (784.0 * 1000.0, 0.15);
        assert!(
            (inp as f64 - m * p).abs() < 4.0 * (m * p * (1.0 - p)).sqrt(),
            "{inp}"
        );
        // Expected recurrent count from the probabilities themselves (within 5 sigma).
        let [nx, ny, nz] = cfg.liquid.grid;
        let coord = |i: usize| [i / (ny * nz), i / nz % ny, i % nz];
        let (mut mean, mut var) = (0.0, 0.0);
        for j in 0..n {
            for i in 0..n {
                if i == j {
                    continue;
                }
                let (a, b) = (coord(i), coord(j));
                let d2: f64 = (0..3).map(|k| (a[k] as f64 - b[k] as f64).powi(2)).sum();
                let c = cfg.liquid.c[usize::from(liq.class[j]) * 2 + usize::from(liq.class[i])];
                let p = c * (-d2 / 9.0).exp();
                mean += p;
                var += p * (1.0 - p);
            }
        }
        let rec = liq.recurrent_synapses() as f64;
        assert!((rec - mean).abs() < 5.0 * var.sqrt(), "{rec} vs {mean}");
        let _ = nx;
        // CSC is a permutation of CSR.
        let mut seen = vec![false; liq.synapses()];
        for i in 0..n {
            for e in liq.col_ptr[i]..liq.col_ptr[i + 1] {
                let s = liq.col_syn[e as usize] as usize;
                assert_eq!(liq.post[s] as usize, i);
                let j = liq.col_pre[e as usize] as usize;
                assert!(s >= liq.row_ptr[j] as usize && s < liq.row_ptr[j + 1] as usize);
                seen[s] = true;
            }
        }
        assert!(seen.iter().all(|&x| x));
    }
}
