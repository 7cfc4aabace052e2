//! `glia`: run, validate and benchmark model files.
//!
//! This file only translates: arguments → [`glia_spec::Overrides`], errors → exit codes
//! (0 success, 2 bad input, 1 internal error), progress → a bar on stderr.

use clap::{Parser, Subcommand, ValueEnum};
use glia_sim::output::{RunInfo, write_outputs};
use glia_spec::{ModelError, Overrides};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Parser)]
#[command(
    name = "glia",
    version,
    about = "A fast, reproducible spiking-network simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// Simulated time \[ms\] (overrides simulation.duration).
    #[arg(long)]
    duration: Option<f64>,
    /// Random seed (overrides simulation.seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads, 0 = one per core (overrides simulation.threads).
    #[arg(long)]
    threads: Option<usize>,
    /// Set a model parameter defined in \[parameters\], e.g. --param order=5000 (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, f64)>,
}

#[derive(Subcommand)]
enum Command {
    /// Build and simulate a model, then write spikes.npz, state.npz, rates.npz and summary.json.
    Run {
        /// The model file (TOML).
        model: PathBuf,
        /// Output directory (default: out/MODEL, MODEL being the file name without extension).
        #[arg(long)]
        out: Option<PathBuf>,
        /// After the run, plot its outputs into the output directory (as `glia plot OUT_DIR`).
        #[arg(long)]
        plot: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Check a model file (including building its network) without simulating.
    Validate {
        /// The model file (TOML).
        model: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Spike-train statistics of a `glia run` output directory, written to OUT_DIR/analysis.json
    /// (rates, CV of ISIs, Fano factor, pairwise correlations, synchrony, dominant frequency).
    Analyze {
        /// The output directory of `glia run`.
        out_dir: PathBuf,
        /// Ignore spikes before this time \[ms\] (initial transient).
        #[arg(long, default_value_t = 0.0)]
        from: f64,
        /// Bin for correlations and synchrony \[ms\].
        #[arg(long, default_value_t = 5.0)]
        bin: f64,
        /// Window for Fano factors \[ms\].
        #[arg(long, default_value_t = 100.0)]
        fano_window: f64,
        /// Most neuron pairs for correlations (randomly sampled beyond).
        #[arg(long, default_value_t = 2000)]
        pairs: usize,
    },
    /// Figures of a `glia run` output directory, written into it: raster.png (spike raster and
    /// population rates), isi_hist.png, rate_hist.png, state.png (and .svg with --format).
    Plot {
        /// The output directory of `glia run`.
        out_dir: PathBuf,
        /// Image format.
        #[arg(long, value_enum, default_value_t = PlotFormat::Png)]
        format: PlotFormat,
        /// Start of the plotted window \[ms\].
        #[arg(long, default_value_t = 0.0)]
        from: f64,
        /// End of the plotted window \[ms\] (default: the end of the run).
        #[arg(long)]
        to: Option<f64>,
    },
    /// Time a bundled benchmark network (build and simulation, synaptic events per second).
    Bench {
        /// Which network.
        #[arg(value_enum)]
        network: BenchNet,
        /// Print one JSON line instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PlotFormat {
    Png,
    Svg,
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
enum BenchNet {
    Cuba,
    Coba,
    Cobahh,
    Brunel,
}

fn parse_param(s: &str) -> Result<(String, f64), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got \"{s}\""))?;
    let x: f64 = v
        .trim()
        .parse()
        .map_err(|_| format!("parameter {k}: \"{v}\" is not a number"))?;
    if !x.is_finite() {
        return Err(format!("parameter {k}: must be finite, got {v}"));
    }
    Ok((k.trim().to_string(), x))
}

/// An error and its exit code.
enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// Stopped by Ctrl-C or SIGTERM after writing partial outputs: exit 130.
    Interrupted,
}

impl From<ModelError> for Failure {
    fn from(e: ModelError) -> Self {
        Failure::Input(e.to_string())
    }
}

impl From<glia_plot::PlotError> for Failure {
    fn from(e: glia_plot::PlotError) -> Self {
        Failure::Input(e.to_string())
    }
}

impl From<glia_reservoir::ReservoirError> for Failure {
    fn from(e: glia_reservoir::ReservoirError) -> Self {
        Failure::Input(e.to_string())
    }
}

impl From<glia_io::IoError> for Failure {
    fn from(e: glia_io::IoError) -> Self {
        Failure::Input(e.to_string())
    }
}

fn overrides(c: &Common) -> Overrides {
    Overrides {
        parameters: c.params.clone(),
        duration: c.duration,
        seed: c.seed,
        threads: c.threads,
    }
}

fn progress_bar(total: u64, dt: f64) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {percent:>3}% {msg} ETA {eta}",
        )
        .expect("valid template"),
    );
    pb.set_message(format!("0 / {:.0} ms", total as f64 * dt));
    pb
}

fn run(
    model_path: &Path,
    out: Option<PathBuf>,
    plot_after: bool,
    common: &Common,
) -> Result<(), Failure> {
    if std::fs::read_to_string(model_path)
        .is_ok_and(|t| glia_reservoir::experiment::is_experiment(&t))
    {
        return run_experiment(model_path, out, common);
    }
    let model = glia_spec::load(model_path, &overrides(common))?;
    let out = out.unwrap_or_else(|| {
        PathBuf::from("out").join(
            model_path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into()),
        )
    });
    eprintln!(
        "glia: {} — {} populations, {} neurons, {:.1} ms at dt = {} ms, {} thread(s)",
        model_path.display(),
        model.populations.len(),
        model.populations.iter().map(|p| p.size).sum::<usize>(),
        model.duration,
        model.dt,
        model.threads
    );
    let mut net = glia_sim::build::build(&model)?;
    eprintln!("built {} synapses in {:.2} s", net.synapses(), net.build_s);

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C while outputs are written is ignored; the handler only sets the flag.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let pb = progress_bar(model.steps, model.dt);
    let dt = model.dt;
    let stats = net.run(model.steps, &mut |p| {
        pb.set_position(p.done);
        pb.set_message(format!(
            "{:.0} / {:.0} ms",
            p.done as f64 * dt,
            p.total as f64 * dt
        ));
        !stop.load(Ordering::SeqCst)
    });
    pb.finish_and_clear();
    if !stats.complete {
        eprintln!(
            "interrupted at {:.1} ms: writing what was recorded (summary.json has \"complete\": false)",
            net.step as f64 * dt
        );
    }
    let info = RunInfo {
        model_path: &model_path.to_string_lossy(),
        run: stats,
        parameters: &model.parameters,
    };
    let files = write_outputs(&net, &out, &info)?;
    let secs = net.step as f64 * dt / 1000.0;
    eprintln!(
        "simulated {:.1} ms in {:.2} s ({:.3} s per simulated s, {:.3e} synaptic events/s)",
        net.step as f64 * dt,
        stats.wall_s,
        stats.wall_s / secs.max(f64::MIN_POSITIVE),
        stats.events as f64 / stats.wall_s.max(f64::MIN_POSITIVE)
    );
    for (p, st) in net.pops.iter().zip(&net.stats) {
        eprintln!(
            "  {:<12} {:>8} neurons {:>10} spikes {:>8.2} Hz",
            p.name,
            p.size,
            st.total,
            st.total as f64 / (p.size as f64 * secs.max(f64::MIN_POSITIVE))
        );
    }
    println!("outputs in {}:", out.display());
    for f in files {
        println!("  {}", f.display());
    }
    if !stats.complete {
        return Err(Failure::Interrupted);
    }
    if plot_after {
        plot(&out, PlotFormat::Png, 0.0, None)?;
    }
    Ok(())
}

fn plot(dir: &Path, format: PlotFormat, from: f64, to: Option<f64>) -> Result<(), Failure> {
    let opts = glia_plot::Options {
        formats: glia_plot::Formats {
            png: matches!(format, PlotFormat::Png | PlotFormat::Both),
            svg: matches!(format, PlotFormat::Svg | PlotFormat::Both),
        },
        from_ms: from,
        to_ms: to,
        ..Default::default()
    };
    let files = glia_plot::plot_dir(dir, &opts)?;
    println!("figures in {}:", dir.display());
    for f in files {
        println!("  {}", f.display());
    }
    Ok(())
}

/// A reservoir experiment (a model file with `[reservoir]`, `[task]`, `[readout]`): run the
/// task, write metrics.json and the monitors' outputs.
fn run_experiment(model_path: &Path, out: Option<PathBuf>, common: &Common) -> Result<(), Failure> {
    let out = out.unwrap_or_else(|| {
        PathBuf::from("out").join(
            model_path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into()),
        )
    });
    eprintln!("glia: {} — reservoir experiment", model_path.display());
    let o = glia_reservoir::experiment::run_file(model_path, &overrides(common))?;
    let timing = &o.metrics["timing_s"];
    let run_s = timing["reservoir_run"].as_f64().unwrap_or(0.0);
    let info = RunInfo {
        model_path: &model_path.to_string_lossy(),
        run: glia_sim::RunStats {
            steps: o.esn.net.step,
            wall_s: run_s,
            events: o.esn.net.events,
            complete: true,
        },
        parameters: &std::collections::BTreeMap::new(),
    };
    let mut files = write_outputs(&o.esn.net, &out, &info)?;
    files.push(glia_reservoir::experiment::write_metrics(&out, &o.metrics)?);
    eprintln!(
        "task {}: {} (reservoir {:.3} s, readout {:.3} s)",
        o.metrics["task"].as_str().unwrap_or("?"),
        o.metrics["metrics"],
        run_s,
        timing["readout_fit"].as_f64().unwrap_or(0.0)
    );
    println!("outputs in {}:", out.display());
    for f in files {
        println!("  {}", f.display());
    }
    Ok(())
}

fn validate(model_path: &Path, common: &Common) -> Result<(), Failure> {
    if std::fs::read_to_string(model_path)
        .is_ok_and(|t| glia_reservoir::experiment::is_experiment(&t))
    {
        let esn = glia_reservoir::experiment::validate_file(model_path, &overrides(common))?;
        println!(
            "{}: valid reservoir experiment — {} populations, {} synapses, {} features",
            model_path.display(),
            esn.net.pops.len(),
            esn.net.synapses(),
            esn.n_features()
        );
        return Ok(());
    }
    let model = glia_spec::load(model_path, &overrides(common))?;
    let net = glia_sim::build::build(&model)?;
    println!(
        "{}: valid — {} populations, {} neurons, {} projections, {} synapses, {} steps",
        model_path.display(),
        net.pops.len(),
        net.pops.iter().map(|p| p.size).sum::<usize>(),
        net.projs.len(),
        net.synapses(),
        model.steps
    );
    Ok(())
}

fn analyze(dir: &Path, from: f64, bin: f64, fano_window: f64, pairs: usize) -> Result<(), Failure> {
    for (name, v) in [("--bin", bin), ("--fano-window", fano_window)] {
        if !(v > 0.0 && v.is_finite()) {
            return Err(Failure::Input(format!("{name}: must be > 0, got {v}")));
        }
    }
    if !(from >= 0.0 && from.is_finite()) {
        return Err(Failure::Input(format!("--from: must be ≥ 0, got {from}")));
    }
    let trains = glia_analysis::load::spike_trains(dir, from)?;
    let opts = glia_analysis::report::Options {
        bin_ms: bin,
        fano_window_ms: fano_window,
        max_pairs: pairs,
        t_start_ms: from,
        ..Default::default()
    };
    let mut pops = serde_json::Map::new();
    for (name, sp) in &trains {
        if sp.t_stop <= sp.t_start {
            return Err(Failure::Input(format!(
                "--from: must be below the simulated time ({} ms), got {from}",
                sp.t_stop
            )));
        }
        let r = glia_analysis::report::analyze(sp, &opts);
        let show = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.3}"));
        println!(
            "{name:<12} {:>7} neurons {:>8.2} Hz  CV {:>6}  Fano {:>6}  corr {:>7}  χ {:>6}  f {:>6} Hz",
            r.neurons,
            r.mean_rate_hz,
            show(r.cv_isi_mean),
            show(r.fano_mean),
            show(r.correlation_mean),
            show(r.synchrony_chi),
            show(r.dominant_frequency_hz),
        );
        pops.insert(
            name.clone(),
            serde_json::to_value(r).expect("report serialises"),
        );
    }
    let doc = serde_json::json!({ "options": opts, "populations": pops });
    let path = dir.join("analysis.json");
    glia_io::write_json_atomic(&path, &doc)?;
    println!("wrote {}", path.display());
    Ok(())
}

const CUBA: &str = include_str!("../../../examples/cuba.toml");
const COBA: &str = include_str!("../../../examples/coba.toml");
const COBAHH: &str = include_str!("../../../examples/cobahh.toml");
const BRUNEL: &str = include_str!("../../../examples/brunel.toml");

fn bench(which: BenchNet, json: bool, common: &Common) -> Result<(), Failure> {
    let (name, text) = match which {
        BenchNet::Cuba => ("cuba", CUBA),
        BenchNet::Coba => ("coba", COBA),
        BenchNet::Cobahh => ("cobahh", COBAHH),
        BenchNet::Brunel => ("brunel", BRUNEL),
    };
    let mut ov = overrides(common);
    ov.duration = ov.duration.or(Some(match which {
        BenchNet::Brunel => 1000.0,
        _ => 10_000.0,
    }));
    let model = glia_spec::parse(text, Path::new("examples"), &ov)?;
    let mut net = glia_sim::build::build(&model)?;
    let stats = net.run(model.steps, &mut |_| true);
    let bio_s = model.duration / 1000.0;
    let spikes: u64 = net.stats.iter().map(|s| s.total).sum();
    let neurons: usize = net.pops.iter().map(|p| p.size).sum();
    let record = serde_json::json!({
        "simulator": "glia",
        "net": name,
        "neurons": neurons,
        "synapses": net.synapses(),
        "threads": model.threads,
        "bio_s": bio_s,
        "build_s": net.build_s,
        "sim_wall_s": stats.wall_s,
        "s_per_bio_s": stats.wall_s / bio_s,
        "spikes": spikes,
        "rate_hz": spikes as f64 / (neurons as f64 * bio_s),
        "synaptic_events_per_s": stats.events as f64 / stats.wall_s,
    });
    if json {
        println!("{record}");
    } else {
        println!(
            "{name}: {neurons} neurons, {} synapses, {} thread(s)",
            net.synapses(),
            model.threads
        );
        println!("  build            {:>10.3} s", net.build_s);
        println!(
            "  simulate         {:>10.3} s for {bio_s} s of biological time",
            stats.wall_s
        );
        println!("  per simulated s  {:>10.4} s", stats.wall_s / bio_s);
        println!(
            "  synaptic events  {:>10.3e} per s",
            stats.events as f64 / stats.wall_s
        );
        println!(
            "  mean rate        {:>10.2} Hz",
            spikes as f64 / (neurons as f64 * bio_s)
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        eprintln!("glia: internal error (this is a bug in glia, please report it):");
        default_hook(info);
    }));
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| match &cli.command {
        Command::Run {
            model,
            out,
            plot: p,
            common,
        } => run(model, out.clone(), *p, common),
        Command::Plot {
            out_dir,
            format,
            from,
            to,
        } => plot(out_dir, *format, *from, *to),
        Command::Validate { model, common } => validate(model, common),
        Command::Analyze {
            out_dir,
            from,
            bin,
            fano_window,
            pairs,
        } => analyze(out_dir, *from, *bin, *fano_window, *pairs),
        Command::Bench {
            network,
            json,
            common,
        } => bench(*network, *json, common),
    });
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(Failure::Input(msg))) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Ok(Err(Failure::Interrupted)) => {
            eprintln!("interrupted: partial outputs written");
            ExitCode::from(130)
        }
        Err(_) => ExitCode::from(1),
    }
}
