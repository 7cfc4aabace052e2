//! Distributed builds (issue 11): the ranks' parts of a network are the one-process network.
//!
//! For every connection rule, [`build_part`] on ranks `0..K` (K = 2, 3, 5) builds synapses only
//! onto each rank's own neurons, and the rows put back together (rank 0's part of row `i`,
//! then rank 1's, …) equal the rows of [`build`]: same sources, targets, weights (bit for bit)
//! and delays, in the same order. And a one-process run through the distributed path (spikes
//! exchanged once per minimum delay, delivery deferred to the end of each interval) gives the
//! same spikes, bit for bit, as the ordinary run.

use glia_sim::Communicator;
use glia_sim::build::{build, build_part};
use glia_sim::csr::Edge;
use glia_sim::distributed::{owned_neurons, run_checked_distributed};
use glia_spec::Overrides;
use std::path::Path;

fn model(text: &str) -> glia_spec::Model {
    glia_spec::parse(text, Path::new("."), &Overrides::default()).unwrap()
}

/// Populations of 3000 and 2100 neurons (3 and 3 blocks), placed on a grid, and one projection
/// per rule with drawn weights and delays.
fn text(threads: usize) -> String {
    let mut s = format!(
        r#"
        [simulation]
        dt = 0.1
        duration = 20.0
        seed = 11
        threads = {threads}
        [[populations]]
        name = "A"
        size = 3000
        model = "lif"
        ports.exc = {{ tau_syn = 2.0 }}
        ports.inh = {{ tau_syn = 4.0 }}
        initial.v = {{ dist = "uniform", low = -70.0, high = -50.0 }}
        [[populations]]
        name = "B"
        size = 2100
        model = "lif"
        ports.exc = {{ tau_syn = 2.0 }}
        ports.inh = {{ tau_syn = 4.0 }}
        [[grids]]
        shape = [30, 17, 10]
        populations = ["A", "B"]
        shuffle = true
        [[inputs]]
        kind = "poisson"
        target = "A"
        port = "exc"
        rate = 8000.0
        weight = 9.0
        [[inputs]]
        kind = "noise"
        target = "A"
        mean = 450.0
        std = 400.0
        [[inputs]]
        kind = "noise"
        target = "B"
        mean = 450.0
        std = 400.0
        "#
    );
    let rules = [
        (
            "A",
            "A",
            "{ rule = \"fixed_probability\", p = 0.01, allow_self = false }",
            "exc",
        ),
        (
            "A",
            "B",
            "{ rule = \"fixed_indegree\", indegree = 40 }",
            "exc",
        ),
        (
            "B",
            "A",
            "{ rule = \"fixed_outdegree\", outdegree = 30 }",
            "inh",
        ),
        (
            "B",
            "B",
            "{ rule = \"fixed_total_number\", n = 20000, allow_self = false }",
            "inh",
        ),
        (
            "A",
            "B",
            "{ rule = \"distance\", c = 0.3, lambda = 2.0 }",
            "exc",
        ),
        ("A", "A", "{ rule = \"one_to_one\" }", "inh"),
    ];
    for (k, (src, dst, rule, port)) in rules.iter().enumerate() {
        let w = if *port == "inh" { -4.0 } else { 2.0 };
        s += &format!(
            r#"
            [[projections]]
            name = "p{k}"
            source = "{src}"
            target = "{dst}"
            port = "{port}"
            connect = {rule}
            weight = {{ dist = "normal", mean = {w}, std = 0.5 }}
            delay = {{ dist = "uniform", low = 0.5, high = 3.0 }}
            "#
        );
    }
    s += r#"
        [[projections]]
        name = "all"
        source = "B"
        target = "B"
        port = "exc"
        connect = { rule = "all_to_all", allow_self = false }
        weight = 0.001
        delay = 0.7
        [[monitors]]
        kind = "spikes"
        population = "A"
        [[monitors]]
        kind = "spikes"
        population = "B"
        [[monitors]]
        kind = "state"
        population = "A"
        variables = ["v"]
        ids = [0, 1500, 2999]
    "#;
    s
}

fn edges(net: &glia_sim::Network, proj: usize) -> Vec<Edge> {
    net.projs[proj].csr.edges()
}

#[test]
fn union_of_rank_parts_is_the_one_process_network() {
    let m = model(&text(2));
    let whole = build(&m).unwrap();
    for ranks in [2usize, 3, 5] {
        let parts: Vec<_> = (0..ranks)
            .map(|r| build_part(&m, r, ranks).unwrap())
            .collect();
        for (k, proj) in whole.projs.iter().enumerate() {
            let want = edges(&whole, k);
            let n_src = whole.pops[proj.source].size;
            let n_tgt = whole.pops[proj.target].size;
            let mut got = Vec::new();
            let per_rank: Vec<Vec<Edge>> = parts.iter().map(|p| edges(p, k)).collect();
            // Every rank holds only synapses onto its own neurons.
            for (r, e) in per_rank.iter().enumerate() {
                let own = owned_neurons(n_tgt, r, ranks);
                assert!(
                    e.iter().all(|e| own.contains(&(e.target as usize))),
                    "{}: rank {r} of {ranks} holds a synapse onto a neuron it does not own",
                    proj.name
                );
            }
            let mut at = vec![0usize; ranks];
            for i in 0..n_src as u32 {
                for r in 0..ranks {
                    while at[r] < per_rank[r].len() && per_rank[r][at[r]].source == i {
                        got.push(per_rank[r][at[r]]);
                        at[r] += 1;
                    }
                }
            }
            assert!(!want.is_empty(), "{}: no synapses", proj.name);
            assert_eq!(got.len(), want.len(), "{} with {ranks} ranks", proj.name);
            for (q, (a, b)) in got.iter().zip(&want).enumerate() {
                assert!(
                    a.source == b.source
                        && a.target == b.target
                        && a.delay == b.delay
                        && a.weight.to_bits() == b.weight.to_bits(),
                    "{} with {ranks} ranks, synapse {q}: {a:?} != {b:?}",
                    proj.name
                );
            }
        }
    }
}

/// The distributed run path on one process (deferred delivery, batched by the exchange
/// interval: 5 steps here) gives the ordinary run's spikes and state samples, bit for bit.
#[test]
fn one_rank_distributed_run_equals_the_ordinary_run() {
    for threads in [1, 2] {
        let m = model(&text(threads));
        let mut a = build(&m).unwrap();
        a.run(m.steps, &mut |_| true);
        let mut b = build_part(&m, 0, 1).unwrap();
        let comm = Communicator::Local;
        b.set_exchange_interval(&comm);
        assert_eq!(b.layout().interval, 5, "smallest delay 0.5 ms = 5 steps");
        let (figures, fault) = run_checked_distributed(
            &mut b,
            &comm,
            m.steps,
            glia_sim::health::OnNan::Error,
            &mut |_| true,
            &mut |_| {},
        );
        assert!(fault.is_none() && figures.run.complete);
        assert_eq!(figures.comm.calls, m.steps.div_ceil(5) + 1);
        b.gather_distributed(&comm);
        for (sa, sb) in a.monitors.spikes.iter().zip(&b.monitors.spikes) {
            assert!(
                sa.ids.len() > 100,
                "too few spikes to compare: {}",
                sa.ids.len()
            );
            assert_eq!(sa.steps, sb.steps);
            assert_eq!(sa.ids, sb.ids);
        }
        let (va, vb) = (&a.monitors.state[0].data[0], &b.monitors.state[0].data[0]);
        assert_eq!(va.len(), vb.len());
        assert!(va.iter().zip(vb).all(|(x, y)| x.to_bits() == y.to_bits()));
        assert_eq!(a.events, b.events);
    }
}
