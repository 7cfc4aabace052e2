//! Plotting the outputs of a short CUBA run: the figures exist, have the documented pixel size
//! and are not blank; the SVGs are SVG documents with the axis labels in them; directories
//! without outputs give clear errors and leave no image behind.

use glia_plot::{Formats, Options, PlotError, plot_dir};
use glia_sim::output::{RunInfo, write_outputs};
use std::path::Path;

const CUBA: &str = include_str!("../../../examples/cuba.toml");

/// Run CUBA for `ms` ms and write its outputs into `dir`.
fn cuba(dir: &Path, ms: f64) {
    let ov = glia_spec::Overrides {
        duration: Some(ms),
        ..Default::default()
    };
    let model = glia_spec::parse(CUBA, Path::new("examples"), &ov).unwrap();
    let mut net = glia_sim::build::build(&model).unwrap();
    let stats = net.run(model.steps, &mut |_| true);
    let info = RunInfo {
        model_path: "examples/cuba.toml",
        run: stats,
        parameters: &model.parameters,
    };
    write_outputs(&net, dir, &info).unwrap();
}

/// Width, height and the fraction of non-white pixels of a PNG.
fn png_info(path: &Path) -> (u32, u32, f64) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let px = &buf[..info.buffer_size()];
    let ink = px.chunks(3).filter(|p| p != &[255, 255, 255]).count();
    (info.width, info.height, ink as f64 / (px.len() / 3) as f64)
}

fn no_partials(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".partial"), "left behind: {name}");
    }
}

#[test]
fn cuba_figures_png_and_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    cuba(dir, 200.0);
    let opts = Options {
        formats: Formats {
            png: true,
            svg: true,
        },
        ..Default::default()
    };
    let files = plot_dir(dir, &opts).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for stem in ["raster", "isi_hist", "rate_hist", "state"] {
        for ext in ["png", "svg"] {
            assert!(names.contains(&format!("{stem}.{ext}")), "{names:?}");
        }
    }
    // Pixel sizes: raster 1400 × 950; histograms 70 + 430 per row of ≤ 3 populations (CUBA:
    // exc, inh in one row); state 70 + 300 per variable (v, I_exc, I_inh).
    for (file, w, h) in [
        ("raster.png", 1400, 950),
        ("isi_hist.png", 1400, 500),
        ("rate_hist.png", 1400, 500),
        ("state.png", 1400, 970),
    ] {
        let (pw, ph, ink) = png_info(&dir.join(file));
        assert_eq!((pw, ph), (w, h), "{file}");
        assert!(ink > 0.01 && ink < 0.6, "{file}: {ink} of the pixels drawn");
    }
    for (file, labels) in [
        (
            "raster.svg",
            &["time [ms]", "neuron index", "rate [Hz]", "cuba"][..],
        ),
        ("isi_hist.svg", &["inter-spike interval [ms]", "count"][..]),
        ("rate_hist.svg", &["firing rate [Hz]", "neurons"][..]),
        ("state.svg", &["v [mV]", "I_exc [pA]", "I_inh [pA]"][..]),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(text.trim_start().starts_with("<svg"), "{file}");
        assert!(text.trim_end().ends_with("</svg>"), "{file}");
        for l in labels {
            assert!(text.contains(l), "{file} lacks {l}");
        }
    }
    no_partials(dir);
}

#[test]
fn window_and_subsampling() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    cuba(dir, 100.0);
    let opts = Options {
        formats: Formats {
            png: false,
            svg: true,
        },
        from_ms: 20.0,
        to_ms: Some(80.0),
        max_neurons: 500,
        ..Default::default()
    };
    plot_dir(dir, &opts).unwrap();
    let text = std::fs::read_to_string(dir.join("raster.svg")).unwrap();
    assert!(text.contains("every 7th of 3200 neurons"), "exc subsampled");
    assert!(text.contains("every 2nd of 800 neurons"), "inh subsampled");
    assert!(text.contains("20–80 ms"));
    assert!(!dir.join("raster.png").exists());

    let bad = Options {
        from_ms: 100.0,
        ..Default::default()
    };
    let e = plot_dir(dir, &bad).unwrap_err().to_string();
    assert!(e.contains("empty time window"), "{e}");
}

#[test]
fn directories_without_outputs_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let opts = Options::default();

    let e = plot_dir(&dir.join("missing"), &opts).unwrap_err();
    assert!(matches!(e, PlotError::Input { .. }));
    assert!(e.to_string().contains("no such directory"), "{e}");

    let e = plot_dir(dir, &opts).unwrap_err().to_string();
    assert!(e.contains("no summary.json"), "{e}");

    std::fs::write(
        dir.join("summary.json"),
        r#"{"model": "m.toml", "simulation": {"dt_ms": 0.1, "simulated_ms": 100.0}, "populations": {}}"#,
    )
    .unwrap();
    let e = plot_dir(dir, &opts).unwrap_err().to_string();
    assert!(e.contains("nothing to plot: no spikes.npz"), "{e}");

    std::fs::write(dir.join("spikes.npz"), b"not a zip file").unwrap();
    let e = plot_dir(dir, &opts).unwrap_err().to_string();
    assert!(e.contains("spikes.npz"), "{e}");

    std::fs::write(dir.join("summary.json"), b"{ truncated").unwrap();
    let e = plot_dir(dir, &opts).unwrap_err().to_string();
    assert!(
        e.contains("summary.json") && e.contains("not valid JSON"),
        "{e}"
    );
    for f in ["raster.png", "isi_hist.png", "rate_hist.png", "state.png"] {
        assert!(!dir.join(f).exists());
    }
    no_partials(dir);
}

/// A short run with two plastic projections (excitatory STDP with bounds [0, 1]; inhibitory
/// weights stored as negative currents with bounds [−1, 0]): `weight_hist.png` is drawn, one
/// panel per plastic projection (one row: 70 + 430 px), neither blank nor filled.
#[test]
fn weight_histograms_of_plastic_projections() {
    let model = r#"
[simulation]
dt = 0.1
duration = 300.0
seed = 3

[[populations]]
name = "in"
size = 200
model = "poisson"
params = { rate = 20.0 }

[[populations]]
name = "out"
size = 20
model = "lif"
ports.exc = { type = "current", tau_syn = 5.0 }
ports.inh = { type = "current", tau_syn = 5.0 }

[[projections]]
name = "exc"
source = "in"
target = "out"
port = "exc"
connect = { rule = "fixed_probability", p = 0.5 }
weight = { dist = "uniform", low = 0.0, high = 1.0 }
plasticity = { rule = "stdp", a_plus = 0.05, a_minus = 0.06, w_min = 0.0, w_max = 1.0 }

[[projections]]
name = "inh"
source = "in"
target = "out"
port = "inh"
connect = { rule = "fixed_probability", p = 0.2 }
weight = { dist = "uniform", low = -1.0, high = 0.0 }
plasticity = { rule = "stdp", a_plus = 0.05, a_minus = 0.06, w_min = -1.0, w_max = 0.0 }
"#;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let m = glia_spec::parse(model, Path::new("."), &Default::default()).unwrap();
    let mut net = glia_sim::build::build(&m).unwrap();
    let stats = net.run(m.steps, &mut |_| true);
    let info = RunInfo {
        model_path: "plastic.toml",
        run: stats,
        parameters: &m.parameters,
    };
    write_outputs(&net, dir, &info).unwrap();
    let files = plot_dir(dir, &Options::default()).unwrap();
    assert!(
        files.iter().any(|f| f.ends_with("weight_hist.png")),
        "{files:?}"
    );
    let (w, h, ink) = png_info(&dir.join("weight_hist.png"));
    assert_eq!((w, h), (1400, 500));
    assert!(ink > 0.01 && ink < 0.6, "{ink} of the pixels drawn");
    no_partials(dir);
}
