//! Time the ridge readout's parts on a `T × F` feature matrix with `K` outputs (the sizes of
//! the reservoirpy comparison's memory-capacity task at N = 500 by default):
//! `cargo run --release -p glia-reservoir --example ridge_bench -- [T] [F] [K] [threads]`.
//! Prints the best of 5 of `Ridge::fit`, of `Ridge::fit_columns_in_place_threads` (features
//! as columns, centred in place: the experiments' call) on 1 and `threads` threads, of the
//! Gram product's lower triangle `XᵀX` as one faer triangular product and in column panels
//! of several widths ([`glia_reservoir::readout::gram_lower_tiled`]), and of `XᵀY`.

use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, Par};
use glia_reservoir::readout::{Ridge, TILE, gram_lower, gram_lower_tiled, xt_times};
use std::time::Instant;

fn best_of(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let t: usize = a.get(1).map_or(4800, |s| s.parse().unwrap());
    let f: usize = a.get(2).map_or(500, |s| s.parse().unwrap());
    let k: usize = a.get(3).map_or(100, |s| s.parse().unwrap());
    let threads: usize = a.get(4).map_or(2, |s| s.parse().unwrap());
    // Deterministic, well-conditioned pseudo-features in (−1, 1), stored as columns (F × T).
    let xt = Mat::<f64>::from_fn(f, t, |j, i| {
        let h = (i as u64 * 2_654_435_761 + j as u64 * 40_503 + 17) % 1_000_003;
        (h as f64 / 1_000_003.0) * 2.0 - 1.0
    });
    let y = Mat::<f64>::from_fn(t, k, |i, j| xt[(j % f, i)] * 0.5 + xt[((j + 1) % f, i)]);
    let ms = |s: f64| s * 1e3;
    let gf = |flop: f64, s: f64| flop / s / 1e9;
    let half = (t * f * f) as f64;
    let r = Ridge::fit(xt.transpose(), y.as_ref(), 1e-8).unwrap();
    let fit = best_of(5, || {
        Ridge::fit(xt.transpose(), y.as_ref(), 1e-8).unwrap();
    });
    let mut cols = [0.0; 2];
    for (c, th) in cols.iter_mut().zip([1, threads]) {
        *c = best_of(5, || {
            let mut x = xt.clone();
            let r2 = Ridge::fit_columns_in_place_threads(x.as_mut(), y.as_ref(), 1e-8, th).unwrap();
            assert_eq!(r2.w, r.w, "bit-identical for {th} threads");
        }) - best_of(5, || {
            std::hint::black_box(xt.clone());
        });
    }
    println!(
        "T = {t}, F = {f}, K = {k}: Ridge::fit {:.1} ms; fit_columns_in_place_threads 1: {:.1} ms, \
         {threads}: {:.1} ms",
        ms(fit),
        ms(cols[0]),
        ms(cols[1])
    );
    let one = best_of(5, || {
        let mut g = Mat::<f64>::zeros(f, f);
        triangular::matmul(
            g.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            xt.as_ref(),
            BlockStructure::Rectangular,
            xt.transpose(),
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
    });
    println!(
        "XᵀX lower triangle, one faer call: {:.1} ms ({:.1} GFlop/s)",
        ms(one),
        gf(half, one)
    );
    let reference = gram_lower(xt.as_ref(), 1);
    for tile in [32, 64, 128, 256, f] {
        for th in [1, threads] {
            let s = best_of(5, || {
                let g = gram_lower_tiled(xt.as_ref(), th, tile);
                if tile == TILE {
                    assert_eq!(g, reference);
                }
            });
            println!(
                "XᵀX lower triangle, panels of {tile}, {th} thread(s): {:.1} ms ({:.1} GFlop/s)",
                ms(s),
                gf(half, s)
            );
        }
    }
    for th in [1, threads] {
        let s = best_of(5, || {
            std::hint::black_box(xt_times(xt.as_ref(), y.as_ref(), th));
        });
        println!(
            "XᵀY, {th} thread(s): {:.1} ms ({:.1} GFlop/s)",
            ms(s),
            gf(2.0 * (t * f * k) as f64, s)
        );
    }
}
