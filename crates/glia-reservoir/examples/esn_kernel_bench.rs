//! Time the dedicated echo-state kernel against the engine on one reservoir:
//! `cargo run --release -p glia-reservoir --example esn_kernel_bench -- [N] [p] [steps]`.
//! Prints µs per step of the engine (`Esn::step`), the kernel with libm tanh and with the
//! vectorised tanh, and `run` (the experiments' call, fast tanh) with `W` stored dense and
//! sparse, and `run_columns` (the experiments' call) with `W` sparse, on 1 and 2 threads
//! (`run_columns_threads`; alternating, best of 5).

use glia_reservoir::experiment::validate_text;
use glia_reservoir::fast::{FastEsn, Layout, Nonlinearity};
use glia_reservoir::tasks::uniform;
use std::path::Path;
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let n: usize = a.get(1).map_or(500, |s| s.parse().unwrap());
    let p: f64 = a.get(2).map_or(0.1, |s| s.parse().unwrap());
    let steps: usize = a.get(3).map_or(2000, |s| s.parse().unwrap());
    let text = format!(
        "[simulation]\ndt = 1.0\nduration = 1.0\nseed = 1\n[[populations]]\nname = \"R\"\n\
         size = {n}\nmodel = \"rate\"\n[[projections]]\nsource = \"R\"\ntarget = \"R\"\n\
         port = \"in\"\nconnect = {{ rule = \"fixed_probability\", p = {p} }}\n\
         weight = {{ dist = \"normal\", mean = 0.0, std = 1.0 }}\nspectral_radius = 0.95\n\
         [reservoir]\ninput = \"R\"\n[task]\nkind = \"narma10\"\ntrain = 2\nwashout = 1\ntest = 1\n"
    );
    let u = uniform(1, 0, steps, 0.0, 0.5);
    let mut best = [f64::INFINITY; 7];
    for _ in 0..5 {
        let mut esn = validate_text(&text, Path::new("."), &Default::default()).unwrap();
        let mut exact = FastEsn::from_esn(&esn, Nonlinearity::Exact).unwrap();
        let mut fast = FastEsn::from_esn(&esn, Nonlinearity::Fast).unwrap();
        let mut x = vec![0.0; n];
        let t = Instant::now();
        for &v in &u {
            esn.step(&[v], &mut x);
        }
        best[0] = best[0].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for &v in &u {
            exact.step(&[v]);
        }
        best[1] = best[1].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for &v in &u {
            fast.step(&[v]);
        }
        best[2] = best[2].min(t.elapsed().as_secs_f64());
        for (k, layout) in [(3, Layout::Dense), (4, Layout::Sparse)] {
            let mut f = FastEsn::with_layout(&esn, Nonlinearity::Fast, layout).unwrap();
            let t = Instant::now();
            let m = f.run(&u);
            best[k] = best[k].min(t.elapsed().as_secs_f64());
            assert!(m[(steps - 1, 0)].is_finite());
        }
        let mut f = FastEsn::with_layout(&esn, Nonlinearity::Fast, Layout::Sparse).unwrap();
        let t = Instant::now();
        let m = f.run_columns(&u);
        best[5] = best[5].min(t.elapsed().as_secs_f64());
        assert!(m[(0, steps - 1)].is_finite());
        let mut f = FastEsn::with_layout(&esn, Nonlinearity::Fast, Layout::Sparse).unwrap();
        let t = Instant::now();
        let m2 = f.run_columns_threads(&u, 2);
        best[6] = best[6].min(t.elapsed().as_secs_f64());
        assert_eq!(m, m2, "two threads must give the same bits");
    }
    let us = |s: f64| s / steps as f64 * 1e6;
    println!(
        "N = {n}, p = {p}: engine {:.2} µs/step, kernel (libm tanh) {:.2}, kernel (fast tanh, {}) {:.2}, \
         run() with feature copy: dense W {:.2}, sparse W {:.2}; \
         run_columns() (features as columns, the experiments' call), sparse W {:.2}, \
         on 2 threads {:.2}",
        us(best[0]),
        us(best[1]),
        if FastEsn::from_esn(
            &validate_text(&text, Path::new("."), &Default::default()).unwrap(),
            Nonlinearity::Fast
        )
        .unwrap()
        .is_dense()
        {
            "dense"
        } else {
            "sparse"
        },
        us(best[2]),
        us(best[3]),
        us(best[4]),
        us(best[5]),
        us(best[6])
    );
}
