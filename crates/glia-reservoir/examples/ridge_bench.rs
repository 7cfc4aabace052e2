//! Time the ridge readout's parts on a `T × F` feature matrix with `K` outputs (the sizes of
//! the reservoirpy comparison's memory-capacity task at N = 500 by default):
//! `cargo run --release -p glia-reservoir --example ridge_bench -- [T] [F] [K]`.
//! Prints the best of 5 of `Ridge::fit`, of `Ridge::fit_columns_in_place` (features as
//! columns, centred in place: the experiments' call) and, for reference, of the full Gram product `XᵀX`
//! by faer's general matmul and of its lower triangle alone.

use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, Par};
use glia_reservoir::readout::Ridge;
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let t: usize = a.get(1).map_or(4800, |s| s.parse().unwrap());
    let f: usize = a.get(2).map_or(500, |s| s.parse().unwrap());
    let k: usize = a.get(3).map_or(100, |s| s.parse().unwrap());
    // Deterministic, well-conditioned pseudo-features in (−1, 1).
    let x = Mat::<f64>::from_fn(t, f, |i, j| {
        let h = (i as u64 * 2_654_435_761 + j as u64 * 40_503 + 17) % 1_000_003;
        (h as f64 / 1_000_003.0) * 2.0 - 1.0
    });
    let y = Mat::<f64>::from_fn(t, k, |i, j| x[(i, j % f)] * 0.5 + x[(i, (j + 1) % f)]);
    let mut best = [f64::INFINITY; 4];
    for _ in 0..5 {
        let s = Instant::now();
        let r = Ridge::fit(x.as_ref(), y.as_ref(), 1e-8).unwrap();
        best[0] = best[0].min(s.elapsed().as_secs_f64());
        assert!(r.w[(0, 0)].is_finite());
        let s = Instant::now();
        let g = x.transpose() * &x;
        best[1] = best[1].min(s.elapsed().as_secs_f64());
        assert!(g[(0, 0)] > 0.0);
        let mut g = Mat::<f64>::zeros(f, f);
        let s = Instant::now();
        triangular::matmul(
            g.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            x.transpose(),
            BlockStructure::Rectangular,
            &x,
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        best[2] = best[2].min(s.elapsed().as_secs_f64());
        let mut xt = x.transpose().to_owned();
        let s = Instant::now();
        let r2 = Ridge::fit_columns_in_place(xt.as_mut(), y.as_ref(), 1e-8).unwrap();
        best[3] = best[3].min(s.elapsed().as_secs_f64());
        let d = (0..f)
            .map(|i| (r2.w[(i, 0)] - r.w[(i, 0)]).abs())
            .fold(0.0, f64::max);
        assert!(d < 1e-6 * (1.0 + r.w.norm_max()), "fits differ by {d}");
    }
    let gf = |flop: f64, s: f64| flop / s / 1e9;
    let full = 2.0 * (t * f * f) as f64;
    println!(
        "T = {t}, F = {f}, K = {k}: Ridge::fit {:.1} ms, Ridge::fit_columns_in_place {:.1} ms; XᵀX full {:.1} ms ({:.1} GFlop/s), \
         lower triangle {:.1} ms ({:.1} GFlop/s of the half); parallelism {:?}",
        best[0] * 1e3,
        best[3] * 1e3,
        best[1] * 1e3,
        gf(full, best[1]),
        best[2] * 1e3,
        gf(full / 2.0, best[2]),
        faer::get_global_parallelism()
    );
}
