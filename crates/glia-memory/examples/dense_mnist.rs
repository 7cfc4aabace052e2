//! Dense associative memories on binarised MNIST: test accuracy as a function of the
//! interaction order P and of the number of training examples per class M.
//!
//! ```text
//! cargo run --release -p glia-memory --example dense_mnist [-- TEST_IMAGES]
//! cargo run --release -p glia-memory --example dense_mnist -- archetypes   # part 3 only
//! cargo run --release -p glia-memory --example dense_mnist -- diagnose     # part 4 only
//! ```
//!
//! Pixels above 127 are +1, the others −1; the first M training images of each digit are used.
//!
//! 1. Dense associative memory (Krotov & Hopfield 2016) with the examples as memories and the
//!    rectified polynomial F(x) = max(x, 0)^P: the predicted digit is the class whose memories
//!    lower the energy most, argmin_c E_c(σ = test image) (`DenseAm::energy_by_class`).
//! 2. Supervised dense Hebbian network (Agliari et al. 2022) storing the class averages (r = 1):
//!    prediction = class of largest Mattis overlap, before dynamics ("t=0", independent of P)
//!    and after 5 sweeps of zero-temperature Glauber dynamics started at the test image
//!    (class averages centred, `DenseHebbian::centered`).
//! 3. The setting of Agliari et al.'s theory (PAPERS.md §9) with MNIST digits as archetypes: the
//!    first training image of each digit is the archetype ξ^μ; the network stores the class
//!    averages of M noisy examples η = χ ξ (quality r = 0.3, never the archetype itself); a
//!    fresh noisy example is the initial state of zero-temperature Glauber dynamics (20
//!    sweeps). Reported: the fraction of 200 probes whose final state is closest to their own
//!    archetype, and the mean final overlap with it (retrieval of a never-seen archetype).

use glia_core::rng::{CounterRng, Purpose};
use glia_memory::dense::{DenseAm, DenseHebbian, Interaction};
use glia_memory::mnist::{Mnist, binarize, default_dir};
use rayon::prelude::*;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let data = Mnist::load(&default_dir())?;
    if args.get(1).map(String::as_str) == Some("archetypes") {
        return archetypes(&data);
    }
    if args.get(1).map(String::as_str) == Some("diagnose") {
        return diagnose(&data);
    }
    let n_test: usize = args.get(1).map_or(Ok(2000), |s| s.parse())?;
    let npx = data.pixels();
    let n_test = n_test.min(data.test.len());
    let test: Vec<(Vec<i8>, usize)> = (0..n_test)
        .map(|i| {
            let img = &data.test.images[i * npx..(i + 1) * npx];
            (binarize(img, 127), data.test.labels[i] as usize)
        })
        .collect();
    let first_m = |m: usize| {
        let mut classes = vec![Vec::new(); 10];
        for i in 0..data.train.len() {
            let c = data.train.labels[i] as usize;
            if classes[c].len() < m {
                let img = &data.train.images[i * npx..(i + 1) * npx];
                classes[c].push(binarize(img, 127));
            }
        }
        classes
    };
    let ms = [1usize, 5, 10, 50, 100, 500, 1000];
    let start = Instant::now();

    let ps = [1u32, 2, 4, 8, 16, 30, 60, 100];
    println!(
        "## Dense associative memory (Krotov & Hopfield), F(x) = max(x, 0)^P, {n_test} test images\n"
    );
    print!("| M per class |");
    ps.iter().for_each(|p| print!(" P={p} |"));
    println!("\n|---|{}", "---|".repeat(ps.len()));
    for &m in &ms {
        let classes = first_m(m);
        let mut pats = Vec::new();
        let mut labels = Vec::new();
        for (c, ex) in classes.iter().enumerate() {
            for e in ex {
                pats.push(e.clone());
                labels.push(c);
            }
        }
        let am = DenseAm::new(npx, &pats, Interaction::Rectified(1))?;
        // One set of overlaps per test image serves every P (F only re-weights them).
        let correct: Vec<usize> = test
            .par_iter()
            .map(|(x, y)| {
                let ov = am.overlaps(x).unwrap();
                ps.iter()
                    .map(|&p| {
                        let f = Interaction::Rectified(p);
                        let mut e = [0.0f64; 10];
                        for (o, &c) in ov.iter().zip(&labels) {
                            // Scaled by N^P (same for all classes) to stay in range.
                            e[c] -= f.eval(*o as f64 / npx as f64);
                        }
                        let best = (0..10).fold(0, |b, c| if e[c] < e[b] { c } else { b });
                        usize::from(best == *y)
                    })
                    .collect::<Vec<_>>()
            })
            .reduce(
                || vec![0; ps.len()],
                |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect(),
            );
        print!("| {m} |");
        for c in correct {
            print!(" {:.1} % |", 100.0 * c as f64 / n_test as f64);
        }
        println!();
    }

    let ps2 = [2u32, 4, 10];
    println!(
        "\n## Supervised dense Hebbian network (Agliari et al.), class averages, {n_test} test images\n"
    );
    print!("| M per class | t=0 |");
    ps2.iter().for_each(|p| print!(" P={p}, 5 sweeps T=0 |"));
    println!("\n|---|---|{}", "---|".repeat(ps2.len()));
    for &m in &ms {
        let classes = first_m(m);
        let mut row = format!("| {m} |");
        let net = DenseHebbian::from_examples(&classes, 1.0, 2)?;
        let ok: usize = test
            .par_iter()
            .map(|(x, y)| usize::from(net.classify(x).unwrap() == *y))
            .sum();
        row += &format!(" {:.1} % |", 100.0 * ok as f64 / n_test as f64);
        for &p in &ps2 {
            let net = DenseHebbian::from_examples(&classes, 1.0, p)?.centered();
            let ok: usize = test
                .par_iter()
                .enumerate()
                .map(|(i, (x, y))| {
                    let mut s = x.clone();
                    net.glauber(&mut s, 5, 0.0, 1, i as u32).unwrap();
                    usize::from(net.classify(&s).unwrap() == *y)
                })
                .sum();
            row += &format!(" {:.1} % |", 100.0 * ok as f64 / n_test as f64);
        }
        println!("{row}");
    }
    println!("\n({:.1} s)", start.elapsed().as_secs_f64());
    archetypes(&data)
}

/// Part 3: MNIST digits as archetypes, noisy examples of quality r, retrieval by dynamics.
fn archetypes(data: &Mnist) -> anyhow::Result<()> {
    let npx = data.pixels();
    let mut arch: Vec<Vec<i8>> = Vec::new();
    for c in 0..10u8 {
        let i = (0..data.train.len())
            .find(|&i| data.train.labels[i] == c)
            .expect("every digit occurs");
        arch.push(binarize(&data.train.images[i * npx..(i + 1) * npx], 127));
    }
    let r = 0.3;
    let noisy = |x: &[i8], rng: &mut CounterRng| -> Vec<i8> {
        x.iter()
            .map(|&v| {
                if rng.uniform() < (1.0 + r) / 2.0 {
                    v
                } else {
                    -v
                }
            })
            .collect()
    };
    let ps = [2u32, 4, 6, 10];
    println!(
        "\n## Agliari et al. setting: MNIST archetypes, noisy examples (r = {r}), T = 0 Glauber, 200 probes\n"
    );
    print!("| class averages | M per class |");
    ps.iter().for_each(|p| print!(" P={p} |"));
    println!("\n|---|---|{}", "---|".repeat(ps.len()));
    for centered in [false, true] {
        for &m in &[1usize, 10, 50, 200] {
            let mut rng = CounterRng::new(1, Purpose::Memory, 1, m as u32, 0);
            let ex: Vec<Vec<Vec<i8>>> = arch
                .iter()
                .map(|a| (0..m).map(|_| noisy(a, &mut rng)).collect())
                .collect();
            let probes: Vec<(Vec<i8>, usize)> = (0..200)
                .map(|j| (noisy(&arch[j % 10], &mut rng), j % 10))
                .collect();
            let mut row = format!("| {} | {m} |", if centered { "centred" } else { "raw" });
            for &p in &ps {
                let net = DenseHebbian::from_examples(&ex, r, p)?;
                let net = if centered { net.centered() } else { net };
                let (ok, ov) = probes
                    .par_iter()
                    .enumerate()
                    .map(|(j, (x, c))| {
                        let mut s = x.clone();
                        net.glauber(&mut s, 20, 0.0, 3, j as u32).unwrap();
                        let o: Vec<i32> = arch
                            .iter()
                            .map(|a| a.iter().zip(&s).map(|(&u, &v)| i32::from(u * v)).sum())
                            .collect();
                        let best = (0..10).fold(0, |b, v| if o[v] > o[b] { v } else { b });
                        (usize::from(best == *c), f64::from(o[*c]) / npx as f64)
                    })
                    .reduce(|| (0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
                row += &format!(
                    " {:.0} % (m = {:.2}) |",
                    100.0 * ok as f64 / probes.len() as f64,
                    ov / probes.len() as f64
                );
            }
            println!("{row}");
        }
    }
    Ok(())
}

/// 4. Why the dynamics do not beat the t = 0 readout on real MNIST: M = 100 class averages (raw
///    and centred), 1000 test images; readouts before and after 5 zero-temperature sweeps, by
///    the largest signed overlap `m̄_μ` (the classifier) and by the largest `|m̄_μ|` (what an
///    even-P cost rewards), and the fraction of final states whose largest `|m̄_μ|` is negative
///    (a sign-reversed class average); for the paper's even P and, as a diagnostic, odd P.
fn diagnose(data: &Mnist) -> anyhow::Result<()> {
    let npx = data.pixels();
    let m = 100;
    let n_test = 1000.min(data.test.len());
    let mut classes = vec![Vec::new(); 10];
    for i in 0..data.train.len() {
        let c = data.train.labels[i] as usize;
        if classes[c].len() < m {
            classes[c].push(binarize(&data.train.images[i * npx..(i + 1) * npx], 127));
        }
    }
    let test: Vec<(Vec<i8>, usize)> = (0..n_test)
        .map(|i| {
            let img = &data.test.images[i * npx..(i + 1) * npx];
            (binarize(img, 127), data.test.labels[i] as usize)
        })
        .collect();
    let argmax = |v: &[f64], abs: bool| {
        let key = |x: f64| if abs { x.abs() } else { x };
        (0..v.len()).fold(0, |b, c| if key(v[c]) > key(v[b]) { c } else { b })
    };
    println!(
        "\n## Diagnosis: M = {m}, {n_test} test images, 5 sweeps at T = 0\n\n| averages | P | t=0 argmax m | t=0 argmax abs m | final argmax m | final argmax abs m | final state = -average |\n|---|---|---|---|---|---|---|"
    );
    for centred in [false, true] {
        // Odd P (not the paper's, which takes P even) breaks the sign symmetry of the cost.
        for p in [2u32, 4, 10, 3, 5, 9] {
            let mut net = DenseHebbian::from_examples(&classes, 1.0, p)?;
            if centred {
                net = net.centered();
            }
            let r: Vec<[usize; 5]> = test
                .par_iter()
                .enumerate()
                .map(|(i, (x, y))| {
                    let m0 = net.mattis(x).unwrap();
                    let mut s = x.clone();
                    net.glauber(&mut s, 5, 0.0, 1, i as u32).unwrap();
                    let m1 = net.mattis(&s).unwrap();
                    let top = argmax(&m1, true);
                    [
                        usize::from(argmax(&m0, false) == *y),
                        usize::from(argmax(&m0, true) == *y),
                        usize::from(argmax(&m1, false) == *y),
                        usize::from(top == *y),
                        usize::from(m1[top] < 0.0),
                    ]
                })
                .collect();
            let pct =
                |k: usize| 100.0 * r.iter().map(|a| a[k]).sum::<usize>() as f64 / n_test as f64;
            println!(
                "| {} | {p} | {:.1} % | {:.1} % | {:.1} % | {:.1} % | {:.1} % |",
                if centred { "centred" } else { "raw" },
                pct(0),
                pct(1),
                pct(2),
                pct(3),
                pct(4)
            );
        }
    }
    Ok(())
}
