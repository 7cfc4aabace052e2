//! Connection rules: which synapses exist, with which weight and delay.
//!
//! Each rule generates synapses in *units* (a source neuron's row, or a target neuron's column
//! for `fixed_indegree`). A unit draws from its own counter-based streams, keyed by
//! `(seed, purpose, projection, unit)`, so the network is the same whatever the thread count or
//! the order in which units are built; units are built in parallel.
//!
//! | rule | unit | sampling |
//! |---|---|---|
//! | `one_to_one` | source | i → i |
//! | `all_to_all` | source | every target (minus i when `allow_self = false`) |
//! | `fixed_probability` | source | Bernoulli(p) per pair, by geometric skipping (no multapses) |
//! | `fixed_indegree` | target | `indegree` sources uniformly, with replacement when multapses are allowed, else Floyd's algorithm |
//! | `fixed_outdegree` | source | `outdegree` targets, likewise |
//! | `fixed_total_number` | source | `n` sources drawn uniformly in blocks of 2²⁰ draws (stream per block), counted per source; then each source draws its targets uniformly (multapses allowed) |
//! | `explicit` | file order | as given |
//! | `distance` | source | Bernoulli(`c·exp(−(D/λ)²)`) per pair, `D` the distance between grid positions |
//!
//! Positions come from `[[grids]]` ([`grid_positions`]): a regular 3-D grid whose points are
//! handed to its populations in order, after an optional random permutation (stream
//! `(seed, Layout, grid)`), which is how a liquid gets randomly placed E and I neurons.

use crate::csr::{Csr, Delays, Edge, Weights};
use glia_core::{CounterRng, Purpose};
use glia_spec::{Connect, Values};
use rayon::prelude::*;
use std::collections::HashSet;

/// What a rule needs to know about its projection.
pub struct RuleCtx<'a> {
    /// Model seed.
    pub seed: u64,
    /// Projection number (stream id).
    pub id: u32,
    /// Source population size.
    pub n_source: usize,
    /// Target population size.
    pub n_target: usize,
    /// Source and target are the same population.
    pub same: bool,
    /// Weights.
    pub weight: &'a Values,
    /// Delays \[ms\].
    pub delay: &'a Values,
    /// Time step \[ms\].
    pub dt: f64,
    /// Source neuron positions (rules that need them).
    pub source_pos: Option<&'a [[f64; 3]]>,
    /// Target neuron positions.
    pub target_pos: Option<&'a [[f64; 3]]>,
}

/// Positions of the neurons of every population placed by `grids` (`None` for the others).
///
/// Grid point `k` of a grid of shape `[nx, ny, nz]` sits at
/// `spacing·(k / (ny·nz), (k / nz) mod ny, k mod nz)`. The points are handed out in this
/// order, or in the order of a Fisher–Yates permutation drawn from `(seed, Layout, grid index)`
/// when `shuffle` is set: the first population takes the first `size` points, and so on.
pub fn grid_positions(model: &glia_spec::Model) -> Vec<Option<Vec<[f64; 3]>>> {
    let mut out: Vec<Option<Vec<[f64; 3]>>> = vec![None; model.populations.len()];
    for (g, grid) in model.grids.iter().enumerate() {
        let [_, ny, nz] = grid.shape;
        let n = grid.shape.iter().product::<usize>();
        let mut order: Vec<usize> = (0..n).collect();
        if grid.shuffle {
            let mut rng = CounterRng::new(model.seed, Purpose::Layout, g as u32, 0, 0);
            for i in (1..n).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                order.swap(i, j);
            }
        }
        let mut next = 0;
        for &p in &grid.populations {
            let size = model.populations[p].size;
            let pos = order[next..next + size]
                .iter()
                .map(|&k| {
                    [
                        (k / (ny * nz)) as f64 * grid.spacing,
                        ((k / nz) % ny) as f64 * grid.spacing,
                        (k % nz) as f64 * grid.spacing,
                    ]
                })
                .collect();
            out[p] = Some(pos);
            next += size;
        }
    }
    out
}

/// Draws weights and delays for one unit.
struct Draw<'a> {
    ctx: &'a RuleCtx<'a>,
    w: CounterRng,
    d: CounterRng,
}

impl<'a> Draw<'a> {
    fn new(ctx: &'a RuleCtx<'a>, unit: u32) -> Self {
        Self {
            ctx,
            w: CounterRng::new(ctx.seed, Purpose::Weight, ctx.id, unit, 0),
            d: CounterRng::new(ctx.seed, Purpose::Delay, ctx.id, unit, 0),
        }
    }

    /// Weight and delay of the next synapse; `k` indexes arrays (explicit rule only).
    #[inline]
    fn next(&mut self, k: usize) -> (f32, u16) {
        let w = value(self.ctx.weight, &mut self.w, k);
        let d = value(self.ctx.delay, &mut self.d, k);
        (w as f32, delay_steps(d, self.ctx.dt))
    }

    fn edge(&mut self, source: u32, target: u32, k: usize) -> Edge {
        let (weight, delay) = self.next(k);
        Edge {
            source,
            target,
            weight,
            delay,
        }
    }
}

#[inline]
fn value(v: &Values, rng: &mut CounterRng, k: usize) -> f64 {
    match v {
        Values::Const(c) => *c,
        Values::Array(a) => a[k],
        Values::Dist(d) => d.sample(rng),
    }
}

/// A delay in ms as whole steps (rounded to nearest, at least 1).
pub fn delay_steps(d_ms: f64, dt: f64) -> u16 {
    ((d_ms / dt).round() as i64).clamp(1, i64::from(u16::MAX)) as u16
}

/// Build the synapses of one projection.
pub fn build(rule: &Connect, ctx: &RuleCtx<'_>) -> Csr {
    build_owned(rule, ctx, 0..ctx.n_target as u32)
}

/// Build the synapses of one projection onto the targets `owned` only (one rank's part of a
/// distributed network, see [`crate::distributed`]): exactly the synapses of [`build`] with a
/// target in `owned`, in the same order. Row-wise rules draw every row as [`build`] does (the
/// streams are per source row) and keep the owned targets; `fixed_indegree` draws only the
/// owned columns.
pub fn build_owned(rule: &Connect, ctx: &RuleCtx<'_>, owned: std::ops::Range<u32>) -> Csr {
    let ns = ctx.n_source;
    let nt = ctx.n_target;
    let owned = owned.start.min(nt as u32)..owned.end.min(nt as u32);
    let rows = |f: &(dyn Fn(u32) -> Vec<Edge> + Sync)| -> Csr { by_rows(ctx, &owned, f) };
    match *rule {
        Connect::OneToOne => rows(&|i| vec![Draw::new(ctx, i).edge(i, i, 0)]),
        Connect::AllToAll { allow_self } => rows(&|i| {
            let mut dr = Draw::new(ctx, i);
            (0..nt as u32)
                .filter(|&j| allow_self || !ctx.same || j != i)
                .map(|j| dr.edge(i, j, 0))
                .collect()
        }),
        Connect::FixedProbability { p, allow_self } => rows(&|i| {
            let mut out = Vec::new();
            if p <= 0.0 {
                return out;
            }
            let mut rng = CounterRng::new(ctx.seed, Purpose::Connect, ctx.id, i, 0);
            let mut dr = Draw::new(ctx, i);
            let log_q = (-p).ln_1p(); // ln(1 - p), -inf for p = 1
            let mut j: i64 = -1;
            loop {
                let skip = if p >= 1.0 {
                    0
                } else {
                    (rng.uniform_open0().ln() / log_q).floor() as i64
                };
                j = j.saturating_add(skip.saturating_add(1));
                if j >= nt as i64 {
                    break;
                }
                if !allow_self && ctx.same && j == i64::from(i) {
                    continue;
                }
                out.push(dr.edge(i, j as u32, 0));
            }
            out
        }),
        Connect::FixedIndegree {
            indegree,
            allow_self,
            allow_multapses,
        } => {
            let exclude = ctx.same && !allow_self;
            by_columns(ctx, &owned, &|j, rng| {
                sample(rng, ns, indegree, exclude.then_some(j), allow_multapses)
            })
        }
        Connect::FixedOutdegree {
            outdegree,
            allow_self,
            allow_multapses,
        } => {
            let exclude = ctx.same && !allow_self;
            rows(&|i| {
                let mut rng = CounterRng::new(ctx.seed, Purpose::Connect, ctx.id, i, 0);
                let mut dr = Draw::new(ctx, i);
                sample(
                    &mut rng,
                    nt,
                    outdegree,
                    exclude.then_some(i),
                    allow_multapses,
                )
                .into_iter()
                .map(|j| dr.edge(i, j, 0))
                .collect()
            })
        }
        Connect::FixedTotalNumber { n, allow_self } => {
            let exclude = ctx.same && !allow_self;
            let counts = total_number_row_counts(ctx.seed, ctx.id, ns, n);
            rows(&|i| {
                let mut rng = CounterRng::new(ctx.seed, Purpose::Connect, ctx.id, i, 0);
                let mut dr = Draw::new(ctx, i);
                sample(&mut rng, nt, counts[i as usize], exclude.then_some(i), true)
                    .into_iter()
                    .map(|j| dr.edge(i, j, 0))
                    .collect()
            })
        }
        Connect::Distance {
            c,
            lambda,
            allow_self,
        } => {
            let (Some(sp), Some(tp)) = (ctx.source_pos, ctx.target_pos) else {
                // Validation guarantees positions for this rule.
                unreachable!("distance rule without positions");
            };
            let inv_l2 = 1.0 / (lambda * lambda);
            rows(&|i| {
                let mut rng = CounterRng::new(ctx.seed, Purpose::Connect, ctx.id, i, 0);
                let mut dr = Draw::new(ctx, i);
                let a = sp[i as usize];
                let mut out = Vec::new();
                for (j, b) in tp.iter().enumerate() {
                    // One draw per candidate pair, self included, so that `allow_self` does not
                    // shift the other pairs' draws.
                    let u = rng.uniform();
                    if !allow_self && ctx.same && j == i as usize {
                        continue;
                    }
                    let d2 = (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2);
                    if u < c * (-d2 * inv_l2).exp() {
                        out.push(dr.edge(i, j as u32, 0));
                    }
                }
                out
            })
        }
        Connect::Explicit {
            ref sources,
            ref targets,
            ..
        } => {
            // Distribution draws (if any) are keyed by synapse index in file order.
            let edges = sources
                .par_iter()
                .zip(targets.par_iter())
                .enumerate()
                .map(|(k, (&i, &j))| Draw::new(ctx, k as u32).edge(i, j, k))
                .filter(|e| owned.contains(&e.target))
                .collect::<Vec<_>>();
            Csr::from_edges(ns, &edges)
        }
    }
}

/// Source rows per unit of work of [`by_rows`] and target columns per chunk of [`by_columns`].
const ROWS_PER_PART: usize = 256;

/// Synapses of consecutive rows, ready to be appended to the final arrays.
struct Part {
    lens: Vec<u64>,
    targets: Vec<u32>,
    weights: Vec<f32>,
    delays: Vec<u16>,
}

/// Build a projection row by row (`f(i)` gives row `i`'s synapses, each row then stably sorted
/// by target), in parallel over parts of [`ROWS_PER_PART`] rows. Each part holds its rows in
/// final form (4 bytes per synapse for the target, plus 4 for the weight and 2 for the delay
/// only when they are drawn); the parts are appended to the final arrays in order and freed one
/// by one, so no whole-projection edge list exists.
fn by_rows(
    ctx: &RuleCtx<'_>,
    owned: &std::ops::Range<u32>,
    f: &(dyn Fn(u32) -> Vec<Edge> + Sync),
) -> Csr {
    let ns = ctx.n_source;
    let all = owned.start == 0 && owned.end as usize >= ctx.n_target;
    let (pw, pd) = (per_synapse(ctx.weight), per_synapse(ctx.delay));
    let parts: Vec<Part> = (0..ns.div_ceil(ROWS_PER_PART))
        .into_par_iter()
        .map(|c| {
            let rows = c * ROWS_PER_PART..((c + 1) * ROWS_PER_PART).min(ns);
            let mut part = Part {
                lens: Vec::with_capacity(rows.len()),
                targets: Vec::new(),
                weights: Vec::new(),
                delays: Vec::new(),
            };
            for i in rows {
                let mut row = f(i as u32);
                if !all {
                    row.retain(|e| owned.contains(&e.target));
                }
                row.sort_by_key(|e| e.target);
                part.lens.push(row.len() as u64);
                part.targets.extend(row.iter().map(|e| e.target));
                if pw {
                    part.weights.extend(row.iter().map(|e| e.weight));
                }
                if pd {
                    part.delays.extend(row.iter().map(|e| e.delay));
                }
            }
            part
        })
        .collect();
    let mut row_ptr = Vec::with_capacity(ns + 1);
    row_ptr.push(0u64);
    for p in &parts {
        for &l in &p.lens {
            row_ptr.push(row_ptr.last().unwrap() + l);
        }
    }
    let total = *row_ptr.last().unwrap() as usize;
    let mut targets = Vec::with_capacity(total);
    let mut weights = Vec::with_capacity(if pw { total } else { 0 });
    let mut delays = Vec::with_capacity(if pd { total } else { 0 });
    for p in parts {
        targets.extend_from_slice(&p.targets);
        weights.extend_from_slice(&p.weights);
        delays.extend_from_slice(&p.delays);
    }
    finish(ctx, row_ptr, targets, weights, delays)
}

/// Whether values must be stored per synapse (drawn or read from an array).
fn per_synapse(v: &Values) -> bool {
    !matches!(v, Values::Const(_))
}

/// Assemble a [`Csr`]; a constant (or all-equal) weight or delay is stored once.
fn finish(
    ctx: &RuleCtx<'_>,
    row_ptr: Vec<u64>,
    targets: Vec<u32>,
    weights: Vec<f32>,
    delays: Vec<u16>,
) -> Csr {
    let weights = match ctx.weight {
        Values::Const(w) => Weights::Const(*w as f32),
        _ => match weights.first() {
            Some(w0) if weights.iter().all(|w| w.to_bits() == w0.to_bits()) => Weights::Const(*w0),
            None => Weights::Const(0.0),
            _ => Weights::PerSynapse(weights),
        },
    };
    let delays = match ctx.delay {
        Values::Const(d) => Delays::Const(delay_steps(*d, ctx.dt)),
        _ => match delays.first() {
            Some(&d0) if delays.iter().all(|&d| d == d0) => Delays::Const(d0),
            None => Delays::Const(1),
            _ => Delays::PerSynapse(delays),
        },
    };
    Csr {
        row_ptr,
        targets,
        weights,
        delays,
    }
}

/// A pointer for writing disjoint elements of one array from several threads.
#[derive(Clone, Copy)]
struct Shared<T>(*mut T);
// SAFETY: only used to write elements that no other thread touches (see `by_columns`).
#[allow(unsafe_code)]
unsafe impl<T> Sync for Shared<T> {}
#[allow(unsafe_code)]
unsafe impl<T> Send for Shared<T> {}

/// Build a projection whose unit is the target column (`fixed_indegree`): `sources(j, rng)`
/// gives column `j`'s sources from its stream `(seed, Connect, projection, j)`, and weights and
/// delays come from `Draw::new(ctx, j)` in that order. Two passes over chunks of
/// [`ROWS_PER_PART`] columns: the first counts synapses per (chunk, source), which gives every
/// chunk its write position in each row; the second draws again and writes the synapses
/// straight into the final arrays (the one `unsafe` block of the engine: disjoint writes from
/// several threads). A row thus lists its synapses by ascending target (and a
/// repeated pair in draw order), whatever the thread count.
#[allow(unsafe_code)]
fn by_columns(
    ctx: &RuleCtx<'_>,
    owned: &std::ops::Range<u32>,
    sources: &(dyn Fn(u32, &mut CounterRng) -> Vec<u32> + Sync),
) -> Csr {
    let ns = ctx.n_source;
    let (pw, pd) = (per_synapse(ctx.weight), per_synapse(ctx.delay));
    // Only the owned columns (all of them unless the network is distributed).
    let (first, nt) = (owned.start as usize, owned.len());
    let chunks = nt.div_ceil(ROWS_PER_PART);
    let cols = |c: usize| {
        (first + c * ROWS_PER_PART) as u32..(first + ((c + 1) * ROWS_PER_PART).min(nt)) as u32
    };
    let stream = |j: u32| CounterRng::new(ctx.seed, Purpose::Connect, ctx.id, j, 0);
    // Pass 1: per chunk, synapses per source (u32: a chunk has at most 2^32 synapses per row).
    let mut counts: Vec<Vec<u32>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut h = vec![0u32; ns];
            for j in cols(c) {
                for i in sources(j, &mut stream(j)) {
                    h[i as usize] += 1;
                }
            }
            h
        })
        .collect();
    // Row pointers, then each chunk's start in each row (counts become offsets, in place).
    let mut row_ptr = vec![0u64; ns + 1];
    for i in 0..ns {
        let n: u64 = counts.iter().map(|h| u64::from(h[i])).sum();
        row_ptr[i + 1] = row_ptr[i] + n;
    }
    let total = row_ptr[ns] as usize;
    let mut at: Vec<u64> = row_ptr[..ns].to_vec();
    let offsets: Vec<Vec<u64>> = counts
        .iter_mut()
        .map(|h| {
            let o = at.clone();
            for (a, &n) in at.iter_mut().zip(h.iter()) {
                *a += u64::from(n);
            }
            *h = Vec::new();
            o
        })
        .collect();
    drop(counts);
    let mut targets = vec![0u32; total];
    let mut weights = vec![0f32; if pw { total } else { 0 }];
    let mut delays = vec![0u16; if pd { total } else { 0 }];
    let (pt, pwp, pdp) = (
        Shared(targets.as_mut_ptr()),
        Shared(weights.as_mut_ptr()),
        Shared(delays.as_mut_ptr()),
    );
    offsets
        .into_par_iter()
        .enumerate()
        .for_each(|(c, mut off)| {
            let (pt, pwp, pdp) = (pt, pwp, pdp);
            for j in cols(c) {
                let mut dr = Draw::new(ctx, j);
                for i in sources(j, &mut stream(j)) {
                    let (w, d) = dr.next(0);
                    let q = off[i as usize] as usize;
                    off[i as usize] += 1;
                    // SAFETY: `q` lies in row i's range reserved for chunk c by pass 1 (the same
                    // draws), which no other chunk writes; the arrays have `total` elements.
                    unsafe {
                        *pt.0.add(q) = j;
                        if pw {
                            *pwp.0.add(q) = w;
                        }
                        if pd {
                            *pdp.0.add(q) = d;
                        }
                    }
                }
            }
        });
    finish(ctx, row_ptr, targets, weights, delays)
}

/// The synapses of `csr` whose target lies in `keep`, in the same order (a rank's part of a
/// projection built whole, e.g. one rescaled to a spectral radius).
pub fn keep_targets(csr: &Csr, keep: std::ops::Range<u32>) -> Csr {
    let ns = csr.row_ptr.len() - 1;
    let mut row_ptr = Vec::with_capacity(ns + 1);
    row_ptr.push(0u64);
    let (mut t, mut w, mut d) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..ns {
        for q in csr.row_ptr[i] as usize..csr.row_ptr[i + 1] as usize {
            if keep.contains(&csr.target(q)) {
                t.push(csr.targets[q]);
                if let Weights::PerSynapse(ws) = &csr.weights {
                    w.push(ws[q]);
                }
                if let Delays::PerSynapse(ds) = &csr.delays {
                    d.push(ds[q]);
                }
            }
        }
        row_ptr.push(t.len() as u64);
    }
    Csr {
        row_ptr,
        targets: t,
        weights: match &csr.weights {
            Weights::Const(c) => Weights::Const(*c),
            Weights::PerSynapse(_) => Weights::PerSynapse(w),
        },
        delays: match &csr.delays {
            Delays::PerSynapse(_) => Delays::PerSynapse(d),
            other => other.clone(),
        },
    }
}

/// Draws per block of the source draws of `fixed_total_number`.
const TOTAL_BLOCK: u64 = 1 << 20;

/// Number of synapses of each source row for `fixed_total_number`: `n` sources drawn uniformly
/// from `0..ns`, in blocks of [`TOTAL_BLOCK`] draws, block `b` from stream
/// `(seed, Connect, projection, b, step 1)` (the rows' own streams use step 0). The counts are a
/// multinomial(n; 1/ns, …) sample; blocks are counted in parallel and the per-block histograms
/// summed in integers, so the result does not depend on the thread count.
fn total_number_row_counts(seed: u64, id: u32, ns: usize, n: u64) -> Vec<u64> {
    if n == 0 || ns == 0 {
        return vec![0; ns];
    }
    let blocks = n.div_ceil(TOTAL_BLOCK);
    (0..blocks)
        .into_par_iter()
        .fold(
            || vec![0u64; ns],
            |mut h, b| {
                let mut rng = CounterRng::new(seed, Purpose::Connect, id, b as u32, 1);
                let len = TOTAL_BLOCK.min(n - b * TOTAL_BLOCK);
                for _ in 0..len {
                    h[rng.below(ns as u64) as usize] += 1;
                }
                h
            },
        )
        .reduce(
            || vec![0u64; ns],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// `k` indices from `0..n`, excluding `exclude`; with replacement when `multapses`.
fn sample(
    rng: &mut CounterRng,
    n: usize,
    k: u64,
    exclude: Option<u32>,
    multapses: bool,
) -> Vec<u32> {
    let m = if exclude.is_some() { n - 1 } else { n } as u64;
    let lift = |x: u64| -> u32 {
        match exclude {
            Some(e) if x >= u64::from(e) => (x + 1) as u32,
            _ => x as u32,
        }
    };
    if multapses {
        return (0..k).map(|_| lift(rng.below(m))).collect();
    }
    // Floyd's algorithm: k distinct values from 0..m, in draw order.
    let mut chosen = HashSet::with_capacity(k as usize);
    let mut out = Vec::with_capacity(k as usize);
    for r in (m - k)..m {
        let t = rng.below(r + 1);
        let v = if chosen.insert(t) {
            t
        } else {
            chosen.insert(r);
            r
        };
        out.push(lift(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(ns: usize, nt: usize, same: bool, w: &'a Values, d: &'a Values) -> RuleCtx<'a> {
        RuleCtx {
            seed: 5,
            id: 0,
            n_source: ns,
            n_target: nt,
            same,
            weight: w,
            delay: d,
            dt: 0.1,
            source_pos: None,
            target_pos: None,
        }
    }

    #[test]
    fn rules_have_the_right_structure() {
        let (w, d) = (Values::Const(2.0), Values::Const(1.5));
        let c = ctx(300, 300, true, &w, &d);
        let all = build(&Connect::AllToAll { allow_self: false }, &c);
        assert_eq!(all.len(), 300 * 299);
        assert!(
            all.edges()
                .iter()
                .all(|e| e.source != e.target && e.delay == 15 && e.weight == 2.0)
        );
        let ind = build(
            &Connect::FixedIndegree {
                indegree: 40,
                allow_self: false,
                allow_multapses: false,
            },
            &c,
        );
        let mut indeg = vec![0; 300];
        let mut pairs = HashSet::new();
        for e in ind.edges() {
            indeg[e.target as usize] += 1;
            assert_ne!(e.source, e.target);
            assert!(pairs.insert((e.source, e.target)), "multapse");
        }
        assert!(indeg.iter().all(|&k| k == 40));
        let out = build(
            &Connect::FixedOutdegree {
                outdegree: 7,
                allow_self: true,
                allow_multapses: true,
            },
            &c,
        );
        for i in 0..300 {
            assert_eq!(out.row_ptr[i + 1] - out.row_ptr[i], 7);
        }
        // Fixed probability: count within 5 standard deviations, no self, rows sorted.
        let p = 0.1;
        let fp = build(
            &Connect::FixedProbability {
                p,
                allow_self: false,
            },
            &c,
        );
        let n = 300.0 * 299.0;
        assert!((fp.len() as f64 - n * p).abs() < 5.0 * (n * p * (1.0 - p)).sqrt());
        for i in 0..300 {
            let row = &fp.targets[fp.row_ptr[i] as usize..fp.row_ptr[i + 1] as usize];
            assert!(row.windows(2).all(|w| w[0] < w[1]));
            assert!(!row.contains(&(i as u32)));
        }
        let one = build(
            &Connect::FixedProbability {
                p: 1.0,
                allow_self: true,
            },
            &c,
        );
        assert_eq!(one.len(), 300 * 300);
    }

    #[test]
    fn same_network_for_any_thread_count() {
        let w = Values::Dist(glia_spec::Dist {
            kind: glia_spec::DistKind::Normal {
                mean: 1.0,
                std: 0.5,
            },
            min: Some(0.0),
            max: None,
        });
        let d = Values::Const(0.1);
        let c = ctx(2000, 1500, false, &w, &d);
        let rule = Connect::FixedIndegree {
            indegree: 50,
            allow_self: true,
            allow_multapses: true,
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| build(&rule, &c));
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(|| build(&rule, &c));
        assert_eq!(one.edges(), two.edges());
        assert!(one.edges().iter().all(|e| e.weight >= 0.0));
    }

    /// `fixed_total_number`: exactly `n` synapses; out- and in-degrees are binomial
    /// (n, 1/ns) and (n, 1/nt): sample means within 4 standard errors, sample variances within
    /// 15 % (out, 2000 rows, SE 3.2 %) and 20 % (in, 1000 columns, SE 4.5 %). `n` spans two
    /// blocks of source draws. Same network for 1 and 2 threads.
    #[test]
    fn fixed_total_number_has_binomial_degrees() {
        let (w, d) = (Values::Const(1.0), Values::Const(0.1));
        let (ns, nt, n) = (2000usize, 1000usize, 1_100_000u64);
        let c = ctx(ns, nt, false, &w, &d);
        let rule = Connect::FixedTotalNumber {
            n,
            allow_self: true,
        };
        let pool = |k| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(k)
                .build()
                .unwrap()
        };
        let one = pool(1).install(|| build(&rule, &c));
        let two = pool(2).install(|| build(&rule, &c));
        assert_eq!(one.edges(), two.edges());
        assert_eq!(one.len() as u64, n);
        let out: Vec<f64> = (0..ns)
            .map(|i| (one.row_ptr[i + 1] - one.row_ptr[i]) as f64)
            .collect();
        let mut inn = vec![0.0; nt];
        for &t in &one.targets {
            inn[t as usize] += 1.0;
        }
        let check = |x: &[f64], p: f64, var_tol: f64| {
            let m = x.len() as f64;
            let mean = x.iter().sum::<f64>() / m;
            let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0);
            let (mu, sigma2) = (n as f64 * p, n as f64 * p * (1.0 - p));
            // The degrees sum to n, so the mean is exact; the variance is the statistical test.
            assert!(
                (mean - mu).abs() < 4.0 * (sigma2 / m).sqrt(),
                "mean {mean} vs {mu}"
            );
            assert!(
                (var / sigma2 - 1.0).abs() < var_tol,
                "variance {var} vs {sigma2}"
            );
        };
        check(&out, 1.0 / ns as f64, 0.15);
        check(&inn, 1.0 / nt as f64, 0.20);
        // No self-connections when excluded, total still exact.
        let c = ctx(500, 500, true, &w, &d);
        let rule = Connect::FixedTotalNumber {
            n: 200_000,
            allow_self: false,
        };
        let e = build(&rule, &c).edges();
        assert_eq!(e.len(), 200_000);
        assert!(e.iter().all(|e| e.source != e.target));
        // With self-connections allowed, about n/ns of them occur (Poisson-like count, 5 sd).
        let rule = Connect::FixedTotalNumber {
            n: 200_000,
            allow_self: true,
        };
        let selfs = build(&rule, &c)
            .edges()
            .iter()
            .filter(|e| e.source == e.target)
            .count() as f64;
        assert!(
            (selfs - 400.0).abs() < 5.0 * 20.0,
            "{selfs} self-connections"
        );
    }

    /// The streaming builders give exactly the network of the edge-list construction
    /// (`Csr::from_edges` over the units' synapses in unit order).
    #[test]
    fn streaming_build_equals_edge_list_build() {
        let w = Values::Dist(glia_spec::Dist {
            kind: glia_spec::DistKind::Normal {
                mean: 1.0,
                std: 0.5,
            },
            min: None,
            max: None,
        });
        let d = Values::Dist(glia_spec::Dist {
            kind: glia_spec::DistKind::Normal {
                mean: 1.5,
                std: 0.7,
            },
            min: Some(0.1),
            max: None,
        });
        let c = ctx(700, 600, false, &w, &d);
        let rule = Connect::FixedIndegree {
            indegree: 80,
            allow_self: true,
            allow_multapses: true,
        };
        let mut edges = Vec::new();
        for j in 0..600u32 {
            let mut rng = CounterRng::new(c.seed, Purpose::Connect, c.id, j, 0);
            let mut dr = Draw::new(&c, j);
            for i in sample(&mut rng, 700, 80, None, true) {
                edges.push(dr.edge(i, j, 0));
            }
        }
        let built = build(&rule, &c);
        assert!(matches!(built.delays, Delays::PerSynapse(_)));
        assert_eq!(built.edges(), Csr::from_edges(700, &edges).edges());
        let rule = Connect::FixedOutdegree {
            outdegree: 50,
            allow_self: true,
            allow_multapses: true,
        };
        let mut edges = Vec::new();
        for i in 0..700u32 {
            let mut rng = CounterRng::new(c.seed, Purpose::Connect, c.id, i, 0);
            let mut dr = Draw::new(&c, i);
            for j in sample(&mut rng, 600, 50, None, true) {
                edges.push(dr.edge(i, j, 0));
            }
        }
        assert_eq!(
            build(&rule, &c).edges(),
            Csr::from_edges(700, &edges).edges()
        );
    }
}
