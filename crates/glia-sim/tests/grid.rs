//! `[[grids]]` positions and the `distance` connection rule (NALSM liquid layout).

mod common;
use common::build_with;
use glia_spec::Overrides;
use std::path::Path;

/// The NALSM1000 liquid: 800 E + 200 I on a shuffled 10×10×10 grid, P = C·exp(−(D/λ)²),
/// λ = 3, C = 0.2 (E→E), 0.1 (E→I), 0.3 (I→E), 0.05 (I→I), no self-connections.
fn liquid(threads: usize) -> String {
    let mut s = format!(
        r#"
        [simulation]
        dt = 1.0
        duration = 1.0
        seed = 7
        threads = {threads}
        [[populations]]
        name = "E"
        size = 800
        model = "lif"
        ports.syn = {{ tau_syn = 2.0 }}
        [[populations]]
        name = "I"
        size = 200
        model = "lif"
        ports.syn = {{ tau_syn = 2.0 }}
        [[grids]]
        shape = [10, 10, 10]
        populations = ["E", "I"]
        shuffle = true
        "#
    );
    for (src, dst, c) in [
        ("E", "E", 0.2),
        ("E", "I", 0.1),
        ("I", "E", 0.3),
        ("I", "I", 0.05),
    ] {
        s += &format!(
            r#"
            [[projections]]
            source = "{src}"
            target = "{dst}"
            port = "syn"
            connect = {{ rule = "distance", c = {c}, lambda = 3.0, allow_self = false }}
            "#
        );
    }
    s
}

fn model(text: &str) -> glia_spec::Model {
    glia_spec::parse(text, Path::new("."), &Overrides::default()).unwrap()
}

/// Every grid point is taken by exactly one neuron; the shuffle mixes E and I over the grid
/// (I neurons are not all at the end) and depends on the seed.
#[test]
fn grid_points_are_handed_out_once() {
    let m = model(&liquid(1));
    let pos = glia_sim::connect::grid_positions(&m);
    let (e, i) = (pos[0].as_ref().unwrap(), pos[1].as_ref().unwrap());
    assert_eq!((e.len(), i.len()), (800, 200));
    let mut all: Vec<[i64; 3]> = e
        .iter()
        .chain(i)
        .map(|p| [p[0] as i64, p[1] as i64, p[2] as i64])
        .collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 1000);
    assert!(all.iter().all(|p| p.iter().all(|&x| (0..10).contains(&x))));
    // Unshuffled, I would occupy x = 8, 9 only.
    assert!(
        i.iter().any(|p| p[0] < 8.0),
        "I neurons spread over the grid"
    );
    let other = model(&liquid(1).replace("seed = 7", "seed = 8"));
    let pos2 = glia_sim::connect::grid_positions(&other);
    assert_ne!(pos[1], pos2[1], "layout depends on the seed");
}

/// Synapse counts match the expectation Σ_pairs C·exp(−(D/λ)²) within 5 standard deviations
/// (σ² = Σ p(1 − p), independent Bernoulli pairs), per projection; and the connection
/// probability in distance bins matches C·exp(−(D/λ)²) within 5 binomial standard errors.
/// No self-connections. The network is the same for 1 and 2 threads.
#[test]
fn distance_rule_follows_the_gaussian_profile() {
    let text = liquid(1);
    let m = model(&text);
    let pos = glia_sim::connect::grid_positions(&m);
    let net = build_with(&text, &Overrides::default());
    let cs = [0.2, 0.1, 0.3, 0.05];
    for (k, proj) in net.projs.iter().enumerate() {
        let (sp, tp) = (
            pos[proj.source].as_ref().unwrap(),
            pos[proj.target].as_ref().unwrap(),
        );
        let same = proj.source == proj.target;
        let p_of = |i: usize, j: usize| {
            let d2: f64 = (0..3).map(|a| (sp[i][a] - tp[j][a]).powi(2)).sum();
            cs[k] * (-d2 / 9.0).exp()
        };
        let (mut mean, mut var) = (0.0, 0.0);
        // Bins of squared distance 0..=243 (integer on a unit grid).
        let mut bins = vec![(0.0f64, 0.0f64, 0.0f64); 244];
        let mut connected = vec![false; sp.len() * tp.len()];
        for i in 0..sp.len() {
            let (a, b) = (
                proj.csr.row_ptr[i] as usize,
                proj.csr.row_ptr[i + 1] as usize,
            );
            for &j in &proj.csr.targets[a..b] {
                assert!(!(same && j as usize == i), "self-connection");
                connected[i * tp.len() + j as usize] = true;
            }
        }
        for i in 0..sp.len() {
            for j in 0..tp.len() {
                if same && i == j {
                    continue;
                }
                let p = p_of(i, j);
                mean += p;
                var += p * (1.0 - p);
                let d2: f64 = (0..3).map(|a| (sp[i][a] - tp[j][a]).powi(2)).sum();
                let bin = &mut bins[d2.round() as usize];
                bin.0 += 1.0;
                bin.1 += f64::from(u8::from(connected[i * tp.len() + j]));
                bin.2 = p;
            }
        }
        let n = proj.csr.len() as f64;
        assert!(
            (n - mean).abs() < 5.0 * var.sqrt(),
            "{}: {n} synapses, expected {mean:.0} ± {:.0}",
            proj.name,
            var.sqrt()
        );
        for (d2, &(pairs, hits, p)) in bins.iter().enumerate() {
            if pairs < 200.0 {
                continue;
            }
            let se = (p * (1.0 - p) / pairs).sqrt().max(1e-3);
            assert!(
                (hits / pairs - p).abs() < 5.0 * se,
                "{} D² = {d2}: {hits}/{pairs} vs p = {p:.4}",
                proj.name
            );
        }
    }
    let net2 = build_with(&liquid(2), &Overrides::default());
    for (a, b) in net.projs.iter().zip(&net2.projs) {
        assert_eq!(a.csr.row_ptr, b.csr.row_ptr);
        assert_eq!(a.csr.targets, b.csr.targets);
    }
}

/// Bad grids and a distance rule without positions are errors that name the field.
#[test]
fn grid_errors_name_the_field() {
    let err = |text: String| {
        glia_spec::parse(&text, Path::new("."), &Overrides::default())
            .unwrap_err()
            .to_string()
    };
    let e = err(liquid(1).replace("shape = [10, 10, 10]", "shape = [10, 10, 9]"));
    assert_eq!(
        e,
        "grids[0].shape: 10×10×9 points must equal the populations' total size 1000, got 900"
    );
    let e = err(liquid(1).replace("shape = [10, 10, 10]", "shape = [100, 10]"));
    assert!(e.starts_with("grids[0].shape: must list 3 sizes"), "{e}");
    let e = err(liquid(1).replace(
        "populations = [\"E\", \"I\"]",
        "populations = [\"E\", \"X\"]",
    ));
    assert!(
        e.starts_with("grids[0].populations[1]: no population named \"X\""),
        "{e}"
    );
    let e = err(liquid(1).replace(
        "populations = [\"E\", \"I\"]\n        shuffle = true",
        "populations = [\"E\", \"E\"]",
    ));
    assert!(e.contains("already placed"), "{e}");
    let e = err(liquid(1).replace("populations = [\"E\", \"I\"]", "populations = [\"E\"]"));
    assert!(e.starts_with("grids[0].shape"), "{e}");
    let e = err(liquid(1).replacen("lambda = 3.0", "lambda = -1.0", 1));
    assert_eq!(e, "projections[0].connect.lambda: must be > 0, got -1");
    let e = err(liquid(1).replacen("c = 0.2", "c = 1.5", 1));
    assert_eq!(
        e,
        "projections[0].connect.c: must be a probability in [0, 1], got 1.5"
    );
    let no_grid = liquid(1).replace(
        "[[grids]]\n        shape = [10, 10, 10]\n        populations = [\"E\", \"I\"]\n        shuffle = true",
        "",
    );
    let e = err(no_grid);
    assert_eq!(
        e,
        "projections[0].connect.rule: \"distance\" needs positions, but the source population \"E\" is on no grid; list it in a [[grids]] entry"
    );
}
