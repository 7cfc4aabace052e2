//! glia → NIR: round trips and refusals.

use glia_nir::ImportOptions;
use std::path::Path;

fn model(text: &str) -> (glia_spec::Model, glia_sim::Network) {
    let m = glia_spec::parse(text, Path::new("."), &Default::default()).unwrap();
    let net = glia_sim::build::build(&m).unwrap();
    (m, net)
}

fn export_err(text: &str) -> String {
    let (m, net) = model(text);
    glia_nir::export(&m, &net).unwrap_err().to_string()
}

const NET: &str = r#"
[simulation]
dt = 0.1
duration = 10.0
[[populations]]
name = "src"
size = 3
model = "spike_generator"
params = { times = [1.0], ids = [0] }
[[populations]]
name = "cuba"
size = 2
model = "lif"
params = { tau_m = 10.0, C_m = 5.0, E_L = 0.0, V_th = 1.0, V_reset = 0.0, t_ref = 0.0 }
ports.in = { tau_syn = 5.0 }
initial.I_in = [0.0, -2.0]
[[populations]]
name = "li"
size = 2
model = "lif"
params = { tau_m = 20.0, C_m = 10.0, E_L = -1.0, V_th = inf, t_ref = 0.0 }
ports.in = { kernel = "delta" }
[[inputs]]
kind = "dc"
target = "cuba"
amplitude = 2.0
ids = [1]
[[projections]]
source = "src"
target = "cuba"
port = "in"
connect = { rule = "explicit", sources = "s.npy", targets = "t.npy" }
weight = 0.5
[[projections]]
source = "cuba"
target = "li"
port = "in"
connect = { rule = "all_to_all" }
weight = 0.25
delay = 1.1
[[monitors]]
kind = "spikes"
population = "cuba"
"#;

/// A glia network of every exportable kind exports field by field as docs/nir.md says
/// (f32 weights: relative 1e-6), and importing the export gives back the same weights, delays
/// and parameters (relative 1e-6).
#[test]
fn export_then_import_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let text = NET
        .replace(
            "explicit\", sources = \"s.npy\", targets = \"t.npy\"",
            "one_to_one\"",
        )
        .replace(
            "size = 3\nmodel = \"spike_generator\"",
            "size = 2\nmodel = \"spike_generator\"",
        );
    std::fs::write(dir.path().join("m.toml"), &text).unwrap();
    let m = glia_spec::load(&dir.path().join("m.toml"), &Default::default()).unwrap();
    let net = glia_sim::build::build(&m).unwrap();
    let g = glia_nir::export(&m, &net).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1e-12);
    let f = |node: &str, k: &str| -> Vec<f64> {
        g.nodes[node].fields[k].data.iter().copied().collect()
    };
    assert_eq!(g.nodes["src"].kind, "Input");
    assert_eq!(g.nodes["cuba"].kind, "CubaLIF");
    assert_eq!(g.nodes["li"].kind, "LI");
    assert_eq!(f("cuba", "tau_mem"), vec![0.01, 0.01]);
    assert_eq!(f("cuba", "tau_syn"), vec![0.005, 0.005]);
    assert_eq!(f("cuba", "r"), vec![2.0, 2.0]); // tau_m / C_m
    assert_eq!(f("li", "tau"), vec![0.02, 0.02]);
    assert_eq!(f("li", "v_leak"), vec![-1.0, -1.0]);
    // weights: W = w·tau_syn/dt into the exp port, W = w·C_m/dt into the delta port
    let w1 = f("src->cuba", "weight");
    assert!(
        close(w1[0], 0.5 * 5.0 / 0.1) && w1[1] == 0.0 && close(w1[3], 25.0),
        "{w1:?}"
    );
    assert_eq!(f("src->cuba", "bias"), vec![0.0, 2.0]);
    let w2 = f("cuba->li", "weight");
    assert!(w2.iter().all(|&x| close(x, 0.25 * 10.0 / 0.1)), "{w2:?}");
    assert!(
        close(f("cuba->li_delay", "delay")[0], 0.001),
        "1.1 ms = one step + 1 ms"
    );
    assert!(g.edges.contains(&("cuba".into(), "cuba_output".into())));
    // and back
    let path = dir.path().join("g.nir");
    if glia_nir::HAS_HDF5 {
        glia_nir::write(&path, &g).unwrap();
        assert_eq!(glia_nir::read(&path).unwrap(), g);
    }
    let imp = glia_nir::import(
        &g,
        &ImportOptions {
            dt: 0.1,
            duration: 10.0,
            ..Default::default()
        },
    )
    .unwrap();
    let back = dir.path().join("back.toml");
    imp.write(&back).unwrap();
    let m2 = glia_spec::load(&back, &Default::default()).unwrap();
    let net2 = glia_sim::build::build(&m2).unwrap();
    let pname = |n: &glia_sim::Network, k: usize| {
        (
            n.pops[n.projs[k].source].name.clone(),
            n.pops[n.projs[k].target].name.clone(),
        )
    };
    assert_eq!(net.projs.len(), net2.projs.len());
    for (k, p) in net.projs.iter().enumerate() {
        let q = (0..net2.projs.len())
            .find(|&j| pname(&net2, j) == pname(&net, k))
            .map(|j| &net2.projs[j])
            .unwrap();
        let (a, b) = (p.csr.edges(), q.csr.edges());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((x.source, x.target, x.delay), (y.source, y.target, y.delay));
            assert!(close(y.weight as f64, x.weight as f64), "{x:?} {y:?}");
        }
    }
    let text2 = imp.toml();
    assert!(
        text2.contains("I_in = [-0.0, -2.0]") || text2.contains("I_in = [0.0, -2.0]"),
        "{text2}"
    );
}

/// What NIR cannot express is refused, naming the field and the feature.
#[test]
fn refusals_name_the_feature() {
    let base = NET.replace(
        "explicit\", sources = \"s.npy\", targets = \"t.npy\"",
        "all_to_all\"",
    );
    let e = export_err(&base.replace(
        "t_ref = 0.0 }\nports.in = { tau_syn",
        "t_ref = 2.0 }\nports.in = { tau_syn",
    ));
    assert!(
        e.starts_with("populations[1].params.t_ref: cannot export to NIR: refractory period"),
        "{e}"
    );
    let e = export_err(
        &base
            .replace(
                "ports.in = { tau_syn = 5.0 }",
                "ports.in = { type = \"conductance\", tau_syn = 5.0, E_rev = 0.0 }",
            )
            .replace("initial.I_in = [0.0, -2.0]\n", ""),
    );
    assert!(
        e.starts_with("populations[1].ports.in: cannot export to NIR: conductance synapses"),
        "{e}"
    );
    let e = export_err(&base.replace("model = \"lif\"\nparams = { tau_m = 20.0, C_m = 10.0, E_L = -1.0, V_th = inf, t_ref = 0.0 }\nports.in = { kernel = \"delta\" }", "model = \"adex\"\nports.in = { tau_syn = 5.0 }"));
    assert!(
        e.starts_with("populations[2].model: cannot export to NIR: neuron model \"adex\""),
        "{e}"
    );
    let e = export_err(&base.replace(
        "delay = 1.1",
        "delay = { dist = \"uniform\", low = 0.1, high = 2.0 }",
    ));
    assert!(e.starts_with("projections[1].delay: cannot export to NIR: per-synapse heterogeneous delays inside an Affine"), "{e}");
    let e = export_err(&base.replace("initial.I_in = [0.0, -2.0]\n", ""));
    assert!(
        e.contains("cannot export to NIR: a constant current into a current-based"),
        "{e}"
    );
    let e = export_err(&base.replace(
        "kind = \"dc\"\ntarget = \"cuba\"\namplitude = 2.0\nids = [1]",
        "kind = \"poisson\"\ntarget = \"cuba\"\nport = \"in\"\nrate = 5.0\nweight = 1.0",
    ));
    assert!(
        e.starts_with("inputs[0]: cannot export to NIR: Poisson input"),
        "{e}"
    );
    let e = export_err(&base.replace(
        "weight = 0.25\n",
        "weight = 0.25\nplasticity = { rule = \"stdp\", a_plus = 0.01, a_minus = 0.01, tau_plus = 20.0, tau_minus = 20.0, w_min = 0.0, w_max = 1.0 }\n",
    ));
    assert!(
        e.starts_with(
            "projections[1].plasticity: cannot export to NIR: plasticity (rule \"stdp\")"
        ),
        "{e}"
    );
}
