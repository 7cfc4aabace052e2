//! Statistics of `poisson` populations (next-spike skipping, `glia_sim::neurons::poisson`): the
//! spike trains are Bernoulli processes with `p = rate·dt` per step.

mod common;
use common::{build, run};

/// 1000 neurons at 20 Hz for 20 s (dt = 0.1 ms, p = 0.002): per-neuron spike steps.
fn trains(threads: usize, switch: Option<f64>) -> (Vec<Vec<u64>>, glia_sim::Network) {
    let text = format!(
        r#"
        [simulation]
        dt = 0.1
        duration = 20000.0
        seed = 3
        threads = {threads}
        [[populations]]
        name = "p"
        size = 1000
        model = "poisson"
        params = {{ rate = 20.0 }}
        [[monitors]]
        kind = "spikes"
        population = "p"
        "#
    );
    let mut net = build(&text);
    match switch {
        None => run(&mut net),
        Some(rate) => {
            net.run(100_000, &mut |_| true);
            net.set_rates(0, &vec![rate; 1000]).unwrap();
            net.run(100_000, &mut |_| true);
        }
    }
    let mut out = vec![Vec::new(); 1000];
    let m = &net.monitors.spikes[0];
    for (&s, &i) in m.steps.iter().zip(&m.ids) {
        out[i as usize].push(s);
    }
    (out, net)
}

/// Rate, counts and intervals of a Bernoulli process with p = 0.002 per step:
/// - the total count is within 5 standard deviations of `N·p·steps` (400,000 ± 632);
/// - the Fano factor of the counts in 50 ms windows (400,000 windows) is `1 − p` within 0.02;
/// - the pooled inter-spike intervals (in steps) follow the geometric law
///   `P(K ≤ k) = 1 − (1 − p)^k`: Kolmogorov–Smirnov distance below `1.95/√n` (the 0.1 % critical
///   value; ≈ 0.003 for the ~400,000 intervals), and the mean interval is `1/p` within 1 %;
/// - the same spikes with 2 threads.
#[test]
fn poisson_population_is_a_bernoulli_process() {
    let p = 0.002f64;
    let steps = 200_000u64;
    let (tr, _) = trains(1, None);
    let total: usize = tr.iter().map(Vec::len).sum();
    let expect = 1000.0 * p * steps as f64;
    let sd = (1000.0 * steps as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (total as f64 - expect).abs() < 5.0 * sd,
        "{total} spikes, expected {expect} ± {sd}"
    );
    // Fano factor over 50 ms (500-step) windows.
    let win = 500u64;
    let nw = (steps / win) as usize;
    let (mut s1, mut s2, mut m) = (0.0f64, 0.0f64, 0.0f64);
    for t in &tr {
        let mut c = vec![0u32; nw];
        for &s in t {
            c[(s / win) as usize] += 1;
        }
        for &x in &c {
            let x = f64::from(x);
            s1 += x;
            s2 += x * x;
            m += 1.0;
        }
    }
    let mean = s1 / m;
    let fano = (s2 / m - mean * mean) / mean;
    assert!((fano - (1.0 - p)).abs() < 0.02, "Fano factor {fano}");
    // Intervals against the geometric law.
    let mut isi: Vec<u64> = tr
        .iter()
        .flat_map(|t| t.windows(2).map(|w| w[1] - w[0]))
        .collect();
    isi.sort_unstable();
    let n = isi.len() as f64;
    let mean_isi = isi.iter().sum::<u64>() as f64 / n;
    assert!(
        (mean_isi * p - 1.0).abs() < 0.01,
        "mean interval {mean_isi} steps"
    );
    let mut d = 0.0f64;
    let mut k = 0;
    while k < isi.len() {
        let v = isi[k];
        let below = k as f64 / n; // empirical P(K < v)
        while k < isi.len() && isi[k] == v {
            k += 1;
        }
        let upto = k as f64 / n; // empirical P(K ≤ v)
        let f_lo = 1.0 - (1.0 - p).powf(v as f64 - 1.0);
        let f_hi = 1.0 - (1.0 - p).powf(v as f64);
        d = d.max((upto - f_hi).abs()).max((below - f_lo).abs());
    }
    assert!(d < 1.95 / n.sqrt(), "KS distance {d} (n = {n})");
    let (tr2, _) = trains(2, None);
    assert!(tr == tr2, "spikes differ between 1 and 2 threads");
}

/// Rates changed during a run (`Network::set_rates`) apply from the next step: 20 Hz for 10 s
/// then 60 Hz for 10 s gives counts within 5 standard deviations of both expectations; rate 0
/// silences every neuron and `rate·dt = 1` makes each fire in every step.
#[test]
fn poisson_rates_change_during_a_run() {
    let (tr, _) = trains(1, Some(60.0));
    let (a, b): (usize, usize) = tr.iter().fold((0, 0), |(a, b), t| {
        let k = t.iter().filter(|&&s| s < 100_000).count();
        (a + k, b + t.len() - k)
    });
    for (count, p) in [(a, 0.002f64), (b, 0.006)] {
        let expect = 1000.0 * p * 1e5;
        let sd = (1000.0 * 1e5 * p * (1.0 - p)).sqrt();
        assert!(
            (count as f64 - expect).abs() < 5.0 * sd,
            "{count} spikes, expected {expect} ± {sd}"
        );
    }
    let (tr, mut net) = trains(1, Some(0.0));
    let s0 = net.step;
    assert!(
        tr.iter().all(|t| t.iter().all(|&s| s < 100_000)),
        "rate 0 is silent"
    );
    net.set_rates(0, &vec![10_000.0; 1000]).unwrap();
    let before = net.stats[0].total;
    net.run(10, &mut |_| true);
    assert_eq!(
        net.stats[0].total - before,
        10 * 1000,
        "p = 1 fires every step"
    );
    assert_eq!(net.step, s0 + 10);
}
