//! Memory capacity of a linear echo-state network (Jaeger 2001).
//!
//! For a linear reservoir `x(t) = W x(t−1) + w_in u(t)` driven by i.i.d. input, the memory
//! capacity `MC = Σ_k r²(u(t−k), y_k(t))` is at most `N` (the readout sees only `N` numbers),
//! and it reaches `N` when the Krylov vectors `w_in, W w_in, …, W^{N−1} w_in` are linearly
//! independent — the case for an orthogonal `W` (scaled to spectral radius ρ < 1) and a generic
//! `w_in` — in the limit of long training. The run here is glia-sim's engine (f32 state) with a
//! dense orthogonal matrix imported as explicit synapses.

use faer::Mat;
use glia_core::{CounterRng, Purpose};
use glia_reservoir::esn::{Esn, InputDist, InputLink, dense_projection, draw_input_weights};
use glia_reservoir::metrics::r2;
use glia_reservoir::readout::Ridge;
use glia_reservoir::tasks::uniform;

/// N = 20 linear units, W = 0.95·Q (Q orthogonal, from the QR factorisation of a Gaussian
/// matrix), w_in uniform in [−1, 1], u uniform in [−1, 1]; delays k = 1..=60, 5000 training
/// and 5000 test samples, ridge α = 1e-9. Measured MC = 18.56. Asserted: 0.9 N ≤ MC ≤ N + 0.3 (the upper slack
/// covers the positive bias of the 60 test-set r² estimates, about 1/T each, and f32 rounding).
#[test]
fn linear_orthogonal_reservoir_reaches_n() {
    let n = 20;
    let text = format!(
        "[simulation]\ndt = 1.0\nduration = 1.0\nseed = 3\n\
         [[populations]]\nname = \"R\"\nsize = {n}\nmodel = \"rate\"\n\
         params = {{ activation = \"linear\" }}\n"
    );
    let mut model =
        glia_spec::parse(&text, std::path::Path::new("."), &Default::default()).unwrap();
    let mut rng = CounterRng::new(11, Purpose::Other, 0, 0, 0);
    let g = Mat::from_fn(n, n, |_, _| rng.normal());
    let q = g.qr().compute_Q();
    let w: Vec<f64> = (0..n * n).map(|k| 0.95 * q[(k / n, k % n)]).collect();
    model
        .projections
        .push(dense_projection(&model, 0, "in", n, &w, None));
    let net = glia_sim::build::build(&model).unwrap();
    let win = draw_input_weights(5, 0, n, 1, 1.0, 1.0, InputDist::Uniform);
    let mut esn = Esn::new(
        net,
        vec![InputLink {
            pop: 0,
            port: 0,
            weights: win,
        }],
        vec![(0, 0)],
        1,
    )
    .unwrap();
    let (kmax, wash, train, test) = (60, 200, 5000, 5000);
    let total = wash + train + test;
    let u = uniform(7, 0, total, -1.0, 1.0);
    let x = esn.run(&u);
    let tr = x.subrows(wash, train);
    let y = Mat::from_fn(train, kmax, |i, k| u[wash + i - k - 1]);
    let ridge = Ridge::fit(tr, y.as_ref(), 1e-9).unwrap();
    let pred = ridge.predict(x.subrows(wash + train, test));
    let mut mc = 0.0;
    for k in 0..kmax {
        let target: Vec<f64> = (0..test).map(|i| u[wash + train + i - k - 1]).collect();
        let p: Vec<f64> = (0..test).map(|i| pred[(i, k)]).collect();
        mc += r2(&target, &p);
    }
    let n = n as f64;
    assert!(mc >= 0.9 * n && mc <= n + 0.3, "MC = {mc}, N = {n}");
}
