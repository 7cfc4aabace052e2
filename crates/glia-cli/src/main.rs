//! `glia`: run, validate and benchmark model files.
//!
//! This file only translates: arguments → [`glia_spec::Overrides`], errors → exit codes
//! (0 success, 2 bad input, 3 numerical fault, 130 interrupted, 1 internal error), progress → a
//! bar on stderr.

mod nalsm;

use clap::{Parser, Subcommand, ValueEnum};
use glia_sim::output::{RunInfo, write_outputs, write_outputs_streamed};
use glia_spec::{ModelError, Overrides};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

mod mpirun;

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
    /// What a NaN or infinity in a neuron's state does: stop the run with an error naming
    /// population, neuron, variable and step (outputs so far written, exit 3), warn once and
    /// run on, or go unchecked.
    #[arg(long, value_enum, default_value_t = OnNanArg::Error)]
    on_nan: OnNanArg,
    /// Build even when the model's memory estimate exceeds the available memory.
    #[arg(long)]
    no_memory_check: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum OnNanArg {
    Error,
    Warn,
    Off,
}

impl From<OnNanArg> for glia_sim::health::OnNan {
    fn from(a: OnNanArg) -> Self {
        match a {
            OnNanArg::Error => Self::Error,
            OnNanArg::Warn => Self::Warn,
            OnNanArg::Off => Self::Off,
        }
    }
}

/// Refuse a model whose memory estimate exceeds `MemAvailable` (unless `--no-memory-check`).
/// `streamed`: the spike monitors stream to disk (`glia run`), so their memory is bounded.
/// Each population's size, spike count and mean rate over `secs` simulated seconds (stderr).
fn report_populations(net: &glia_sim::Network, secs: f64) {
    for (p, st) in net.pops.iter().zip(&net.stats) {
        eprintln!(
            "  {:<12} {:>8} neurons {:>10} spikes {:>8.2} Hz",
            p.name,
            p.size,
            st.total,
            st.total as f64 / (p.size as f64 * secs.max(f64::MIN_POSITIVE))
        );
    }
}

/// The output directory and the files written into it (stdout).
fn list_outputs(out: &std::path::Path, files: &[PathBuf]) {
    println!("outputs in {}:", out.display());
    for f in files {
        println!("  {}", f.display());
    }
}

fn memory_check(model: &glia_spec::Model, common: &Common, streamed: bool) -> Result<(), Failure> {
    if common.no_memory_check {
        return Ok(());
    }
    let est = glia_spec::estimate::estimate_with(model, streamed);
    match glia_spec::estimate::available_memory() {
        Some(avail) => glia_spec::estimate::check(&est, avail).map_err(Failure::Input),
        None => Ok(()),
    }
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
        /// Spikes a spike monitor buffers in memory before spilling them to scratch files in
        /// the output directory (tests use small values to exercise the spills).
        #[arg(long, hide = true, default_value_t = glia_sim::sink::CHUNK_SPIKES)]
        spike_chunk: usize,
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
        /// The model file, for the connectivity that the branching ratio needs (default: the
        /// `model` path in summary.json, if that file exists).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Window after each spike in which firing postsynaptic neurons count towards the
        /// branching ratio \[ms\].
        #[arg(long, default_value_t = 2.0)]
        branching_window: f64,
        /// Response windows for the representational dissimilarity matrix \[ms\]: each
        /// complete window is one condition (e.g. one stimulus presentation); no RDM without it.
        #[arg(long)]
        rsa_window: Option<f64>,
        /// Lower and upper quantiles of the geo-topological transform (tRSA).
        #[arg(long, num_args = 2, value_names = ["LOWER", "UPPER"], default_values_t = [0.25, 0.75])]
        rsa_quantiles: Vec<f64>,
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
    /// NIR (Neuromorphic Intermediate Representation) graphs: import one as a glia model file,
    /// or export a model file as one (see docs/nir.md; needs a build with `--features nir`).
    Nir {
        #[command(subcommand)]
        command: NirCommand,
    },
    /// NALSM on MNIST end to end (Ivanov & Michmizos 2021; docs/nalsm.md): liquid,
    /// initialisation to W_INI, spike-count features of every sample (OUT/features.npz),
    /// softmax readout and branching factor (OUT/metrics.json).
    Nalsm {
        /// The NALSM configuration file (TOML).
        config: PathBuf,
        /// Output directory (overrides `out`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Refit the readout on OUT/features.npz of an earlier run without simulating.
        #[arg(long)]
        readout_only: bool,
        /// Worker threads, 0 = one per core (the features do not depend on it).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Random seed (overrides `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulate at most this many new checkpoints (chunks of `protocol.chunk` samples,
        /// kept in OUT/partial/), then stop; rerun the same command to continue. An
        /// interrupted run continues from its checkpoints without this flag too.
        #[arg(long)]
        max_chunks: Option<usize>,
    },
    /// Time a bundled benchmark network or a model file (build and simulation, synaptic events
    /// per second, peak memory).
    Bench {
        /// A bundled network (cuba, coba, cobahh, brunel, brunel-stdp, microcircuit, esn) or the
        /// path of a model file.
        network: String,
        /// Print one JSON line instead of a table.
        #[arg(long)]
        json: bool,
        /// Simulate this long \[ms\] before the timed part (not counted in the simulation time,
        /// the events or the rates); it adds to the duration.
        #[arg(long, default_value_t = 0.0)]
        warmup: f64,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum NirCommand {
    /// Convert a NIR graph (.nir, HDF5) into a glia model file (TOML); the connectivity of each
    /// projection goes into an .npz beside it (MODEL_STEM.PROJECTION.npz).
    Import {
        /// The NIR file.
        graph: PathBuf,
        /// The model file to write (default: the graph's path with extension .toml).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Time step \[ms\]: NIR has none (see docs/nir.md for how it enters the weights).
        #[arg(long)]
        dt: f64,
        /// Simulated time \[ms\] written into the model.
        #[arg(long, default_value_t = 1000.0)]
        duration: f64,
        /// Spikes for an Input node: an .npz with arrays `times` \[ms\] and `ids` (repeatable).
        #[arg(long = "input", value_name = "NODE=FILE.npz", value_parser = parse_input)]
        inputs: Vec<(String, PathBuf)>,
    },
    /// Convert a glia model file into a NIR graph (refuses, naming the field, what NIR cannot
    /// express).
    Export {
        /// The model file (TOML).
        model: PathBuf,
        /// The NIR file to write (default: the model's path with extension .nir).
        #[arg(short, long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
}

fn parse_input(s: &str) -> Result<(String, PathBuf), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NODE=FILE.npz, got \"{s}\""))?;
    Ok((k.to_string(), PathBuf::from(v)))
}

fn nir(cmd: &NirCommand) -> Result<(), Failure> {
    let fail = |e: glia_nir::NirError| Failure::Input(e.to_string());
    match cmd {
        NirCommand::Import {
            graph,
            out,
            dt,
            duration,
            inputs,
        } => {
            for (name, v) in [("--dt", *dt), ("--duration", *duration)] {
                if !(v > 0.0 && v.is_finite()) {
                    return Err(Failure::Input(format!("{name}: must be > 0 ms, got {v}")));
                }
            }
            let out = out.clone().unwrap_or_else(|| graph.with_extension("toml"));
            let g = glia_nir::read(graph).map_err(fail)?;
            let stem = out
                .file_stem()
                .map_or("model".into(), |s| s.to_string_lossy().into_owned());
            let opts = glia_nir::ImportOptions {
                dt: *dt,
                duration: *duration,
                stem,
                ..Default::default()
            };
            let mut imp = glia_nir::import(&g, &opts).map_err(fail)?;
            for (node, file) in inputs {
                let gname = node.replace(['.', '/', ' '], "_");
                let abs = std::path::absolute(file).map_err(|e| {
                    Failure::Input(format!("--input {node}: {}: {e}", file.display()))
                })?;
                let pops = imp.model["populations"]
                    .as_array_mut()
                    .expect("populations");
                let pop = pops
                    .iter_mut()
                    .filter_map(|p| p.as_table_mut())
                    .find(|p| {
                        p["name"].as_str() == Some(gname.as_str())
                            && p["model"].as_str() == Some("spike_generator")
                    })
                    .ok_or_else(|| {
                        Failure::Input(format!(
                            "--input {node}: the graph has no Input node named {node:?}"
                        ))
                    })?;
                let mut params = toml::Table::new();
                params.insert(
                    "file".into(),
                    toml::Value::String(abs.to_string_lossy().into_owned()),
                );
                pop.insert("params".into(), toml::Value::Table(params));
            }
            imp.write(&out).map_err(fail)?;
            for n in &imp.notes {
                eprintln!("note: {n}");
            }
            // check that what was written is a valid model
            let model = glia_spec::load(&out, &Overrides::default())?;
            println!(
                "{}: {} populations, {} projections (from {} NIR nodes)",
                out.display(),
                model.populations.len(),
                model.projections.len(),
                g.nodes.len()
            );
            Ok(())
        }
        NirCommand::Export { model, out, common } => {
            let out = out.clone().unwrap_or_else(|| model.with_extension("nir"));
            let m = glia_spec::load(model, &overrides(common))?;
            let net = glia_sim::build::build(&m)?;
            let g = glia_nir::export(&m, &net).map_err(fail)?;
            glia_nir::write(&out, &g).map_err(fail)?;
            println!(
                "{}: {} NIR nodes, {} edges",
                out.display(),
                g.nodes.len(),
                g.edges.len()
            );
            Ok(())
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum PlotFormat {
    Png,
    Svg,
    Both,
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
    /// Stopped by a NaN or infinity in the state after writing partial outputs: exit 3.
    Numerical(String),
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
    spike_chunk: usize,
    common: &Common,
) -> Result<(), Failure> {
    // Under `mpirun` (built with feature `mpi`): one rank of a distributed run.
    let comm = glia_sim::Communicator::from_env().map_err(Failure::Input)?;
    if comm.is_mpi() {
        let dir = out.clone();
        mpirun::run(&comm, model_path, out, common)?;
        if plot_after && comm.rank() == 0 {
            let dir = dir.unwrap_or_else(|| {
                PathBuf::from("out").join(
                    model_path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "run".into()),
                )
            });
            plot(&dir, PlotFormat::Png, 0.0, None)?;
        }
        return Ok(());
    }
    if std::fs::read_to_string(model_path)
        .is_ok_and(|t| glia_reservoir::experiment::is_experiment(&t))
    {
        return run_experiment(model_path, out, common);
    }
    if std::fs::read_to_string(model_path).is_ok_and(|t| glia_nalsm::config::is_nalsm(&t)) {
        return nalsm::nalsm(
            model_path,
            out,
            false,
            common.threads.unwrap_or(0),
            common.seed,
            None,
        )
        .map_err(Failure::Input);
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
    memory_check(&model, common, true)?;
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
    // Spike monitors stream to scratch files in the output directory (bounded memory).
    let mut sink = glia_sim::sink::SpikeSink::new(&out, spike_chunk);
    let mut sink_error = None;
    let (stats, fault) = glia_sim::health::run_checked_with(
        &mut net,
        model.steps,
        common.on_nan.into(),
        &mut |p| {
            pb.set_position(p.done);
            pb.set_message(format!(
                "{:.0} / {:.0} ms",
                p.done as f64 * dt,
                p.total as f64 * dt
            ));
            !stop.load(Ordering::SeqCst)
        },
        &mut |f| pb.suspend(|| eprintln!("warning: {f} (--on-nan=warn: running on)")),
        &mut |n| match sink.drain(n) {
            Ok(()) => true,
            Err(e) => {
                sink_error = Some(e);
                false
            }
        },
    );
    pb.finish_and_clear();
    if let Some(e) = sink_error {
        return Err(e.into());
    }
    let reason = match &fault {
        Some(f) => Some(f.to_string()),
        None if !stats.complete => Some("interrupted (SIGINT or SIGTERM)".to_string()),
        None => None,
    };
    if let Some(r) = &reason {
        eprintln!(
            "stopped at {:.1} ms: {r}; writing what was recorded (summary.json has \"complete\": false)",
            net.step as f64 * dt
        );
    }
    let info = RunInfo {
        model_path: &model_path.to_string_lossy(),
        run: stats,
        parameters: &model.parameters,
    };
    let files = write_outputs_streamed(&net, &out, &info, reason.as_deref(), &mut sink)?;
    drop(sink);
    let secs = net.step as f64 * dt / 1000.0;
    eprintln!(
        "simulated {:.1} ms in {:.2} s ({:.3} s per simulated s, {:.3e} synaptic events/s)",
        net.step as f64 * dt,
        stats.wall_s,
        stats.wall_s / secs.max(f64::MIN_POSITIVE),
        stats.events as f64 / stats.wall_s.max(f64::MIN_POSITIVE)
    );
    report_populations(&net, secs);
    list_outputs(&out, &files);
    if let Some(f) = fault {
        return Err(Failure::Numerical(f.to_string()));
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
    list_outputs(&out, &files);
    Ok(())
}

fn validate(model_path: &Path, common: &Common) -> Result<(), Failure> {
    if std::fs::read_to_string(model_path).is_ok_and(|t| glia_nalsm::config::is_nalsm(&t)) {
        return nalsm::validate(model_path).map_err(Failure::Input);
    }
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
    let est = glia_spec::estimate::estimate_with(&model, true);
    println!(
        "{}: {est}; available {}",
        model_path.display(),
        glia_spec::estimate::available_memory()
            .map_or("unknown".into(), glia_spec::estimate::human)
    );
    memory_check(&model, common, true)?;
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

/// The analyses that need more than the spikes: the branching ratio (connectivity) and the RDM
/// (response windows).
struct Extra {
    model: Option<PathBuf>,
    branching_window: f64,
    rsa_window: Option<f64>,
    rsa_quantiles: (f64, f64),
}

/// The network-level branching ratio (NALSM): the spikes of every fully recorded population
/// that is not a spike source, with postsynaptic partners among those neurons, from the model's
/// connectivity (rebuilt with the run's seed and parameters). `Ok(None)` with a reason when the
/// data do not allow it.
fn branching(
    dir: &Path,
    trains: &[(String, glia_analysis::SpikeTrains)],
    extra: &Extra,
) -> Result<serde_json::Value, Failure> {
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("summary.json"))
            .map_err(|e| Failure::Input(format!("{}: {e}", dir.join("summary.json").display())))?,
    )
    .map_err(|e| Failure::Input(format!("summary.json: {e}")))?;
    let skip = |why: String| Ok(serde_json::json!({ "value": null, "reason": why }));
    let path = match &extra.model {
        Some(p) => p.clone(),
        None => match summary["model"].as_str().map(PathBuf::from) {
            Some(p) if p.exists() => p,
            _ => {
                return skip(
                    "no connectivity: the model file named in summary.json is not found (give --model)"
                        .into(),
                );
            }
        },
    };
    let ov = Overrides {
        parameters: summary["parameters"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default(),
        seed: summary["simulation"]["seed"].as_u64(),
        duration: summary["simulation"]["simulated_ms"].as_f64(),
        threads: Some(1),
    };
    let model = glia_spec::load(&path, &ov)?;
    let net = glia_sim::build::build(&model)?;
    // the liquid: fully recorded populations that are not spike sources
    let mut offset = vec![None; net.pops.len()];
    let (mut times, mut ids, mut names) = (Vec::new(), Vec::new(), Vec::new());
    let mut n = 0usize;
    let (mut t0, mut t1) = (f64::NAN, f64::NAN);
    for (name, sp) in trains {
        let Some(k) = net.pops.iter().position(|p| &p.name == name) else {
            continue;
        };
        let p = &net.pops[k];
        if sp.n != p.size || matches!(p.model_name.as_str(), "poisson" | "spike_generator") {
            continue;
        }
        offset[k] = Some(n as u32);
        for (i, tr) in sp.trains.iter().enumerate() {
            times.extend_from_slice(tr);
            ids.extend(std::iter::repeat_n((n + i) as u32, tr.len()));
        }
        (t0, t1) = (sp.t_start, sp.t_stop);
        n += p.size;
        names.push(name.clone());
    }
    if n == 0 {
        return skip("no fully recorded population of neurons (spike sources excluded)".into());
    }
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
    for pr in &net.projs {
        if let (Some(a), Some(b)) = (offset[pr.source], offset[pr.target]) {
            for e in pr.csr.edges() {
                adj[(a + e.source) as usize].push(b + e.target);
            }
        }
    }
    for a in &mut adj {
        a.sort_unstable();
        a.dedup();
    }
    let sp = glia_analysis::SpikeTrains::new(n, t0, t1, &times, &ids);
    let value = sp.branching_ratio(
        |i| &adj[i],
        extra.branching_window,
        t0,
        t1 - extra.branching_window,
    );
    Ok(serde_json::json!({
        "value": value,
        "window_ms": extra.branching_window,
        "populations": names,
        "spikes_from_ms": t0,
        "spikes_to_ms": t1 - extra.branching_window,
    }))
}

fn analyze(
    dir: &Path,
    from: f64,
    bin: f64,
    fano_window: f64,
    pairs: usize,
    extra: &Extra,
) -> Result<(), Failure> {
    let (lo, hi) = extra.rsa_quantiles;
    if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
        return Err(Failure::Input(format!(
            "--rsa-quantiles: need 0 ≤ LOWER ≤ UPPER ≤ 1, got {lo} {hi}"
        )));
    }
    for (name, v) in [
        ("--branching-window", Some(extra.branching_window)),
        ("--rsa-window", extra.rsa_window),
    ] {
        if let Some(v) = v.filter(|v| !(*v > 0.0 && v.is_finite())) {
            return Err(Failure::Input(format!("{name}: must be > 0 ms, got {v}")));
        }
    }
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
    let mut rsa = serde_json::Map::new();
    if let Some(w) = extra.rsa_window {
        for (name, sp) in &trains {
            let r = glia_analysis::rsa::window_responses(sp, w);
            let k = r.len();
            if k < 2 {
                rsa.insert(name.clone(), serde_json::json!({ "rdm": null, "reason": format!("fewer than two complete {w} ms windows") }));
                continue;
            }
            let d = glia_analysis::rsa::rdm(&r, glia_analysis::rsa::Metric::Correlation);
            let g = glia_analysis::rsa::geo_topological(&d, k, lo, hi);
            let rows = |m: &[f64]| m.chunks(k).map(<[f64]>::to_vec).collect::<Vec<_>>();
            rsa.insert(
                name.clone(),
                serde_json::json!({
                    "window_ms": w,
                    "conditions": k,
                    "metric": "correlation",
                    "rdm": rows(&d),
                    "quantiles": [lo, hi],
                    "geo_topological": rows(&g),
                }),
            );
        }
    }
    let br = branching(dir, &trains, extra)?;
    if let Some(v) = br["value"].as_f64() {
        println!(
            "branching ratio {v:.3} (window {} ms)",
            extra.branching_window
        );
    }
    let mut doc =
        serde_json::json!({ "options": opts, "populations": pops, "branching_ratio": br });
    if extra.rsa_window.is_some() {
        doc["rsa"] = serde_json::Value::Object(rsa);
    }
    let path = dir.join("analysis.json");
    glia_io::write_json_atomic(&path, &doc)?;
    println!("wrote {}", path.display());
    Ok(())
}

const CUBA: &str = include_str!("../../../examples/cuba.toml");
const COBA: &str = include_str!("../../../examples/coba.toml");
const COBAHH: &str = include_str!("../../../examples/cobahh.toml");
const BRUNEL: &str = include_str!("../../../examples/brunel.toml");
const BRUNEL_STDP: &str = include_str!("../../../examples/brunel_stdp.toml");
const MICROCIRCUIT: &str = include_str!("../../../examples/microcircuit.toml");
const ESN: &str = include_str!("../../../examples/esn.toml");

/// The bundled benchmark networks: name, model file text, default duration \[ms\].
const BENCH_NETS: [(&str, &str, f64); 7] = [
    ("cuba", CUBA, 10_000.0),
    ("coba", COBA, 10_000.0),
    ("cobahh", COBAHH, 10_000.0),
    ("brunel", BRUNEL, 1000.0),
    ("brunel-stdp", BRUNEL_STDP, 1000.0),
    ("microcircuit", MICROCIRCUIT, 1000.0),
    ("esn", ESN, 2000.0),
];

/// A figure of `/proc/self/status` in KiB (`VmHWM`: peak resident set size; `VmRSS`: current),
/// converted to MiB (Linux; `None` elsewhere).
fn proc_status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line[key.len()..]
        .trim_start_matches(':')
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// CPU seconds (user + system) used by this process so far, from `/proc/self/stat` (Linux;
/// `None` elsewhere). On a shared machine this, unlike wall time, does not count the time other
/// processes hold the cores.
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let (utime, stime): (f64, f64) = (f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?);
    Some((utime + stime) / 100.0) // USER_HZ = 100 on Linux
}

/// CPU seconds of one non-finite check of `net`'s state ([`glia_sim::health::state_finite`]),
/// averaged over at least half a CPU second of checks.
fn nan_check_cpu_s(net: &glia_sim::Network) -> Option<f64> {
    let c0 = process_cpu_s()?;
    let mut n = 0u64;
    loop {
        for _ in 0..1000 {
            std::hint::black_box(glia_sim::health::state_finite(std::hint::black_box(net)));
        }
        n += 1000;
        let c = process_cpu_s()?;
        if c - c0 >= 0.5 {
            return Some((c - c0) / n as f64);
        }
    }
}

fn bench(network: &str, json: bool, warmup: f64, common: &Common) -> Result<(), Failure> {
    if !(warmup.is_finite() && warmup >= 0.0) {
        return Err(Failure::Input(format!(
            "--warmup: must be a finite number ≥ 0 ms, got {warmup}"
        )));
    }
    let mut ov = overrides(common);
    let bundled = BENCH_NETS.iter().find(|(n, _, _)| *n == network);
    let (name, model) = match bundled {
        Some(&(name, text, default_ms)) => {
            let measured = ov.duration.unwrap_or(default_ms);
            ov.duration = Some(measured + warmup);
            (
                name.to_string(),
                glia_spec::parse(text, Path::new("examples"), &ov)?,
            )
        }
        None => {
            let path = Path::new(network);
            let text = std::fs::read_to_string(path).map_err(|e| {
                let names: Vec<&str> = BENCH_NETS.iter().map(|(n, _, _)| *n).collect();
                Failure::Input(format!(
                    "bench: \"{network}\" is neither a bundled network ({}) nor a readable model file: {e}",
                    names.join(", ")
                ))
            })?;
            if glia_reservoir::experiment::is_experiment(&text) {
                return Err(Failure::Input(format!(
                    "bench: {network} is a reservoir experiment ([reservoir], [task], [readout]); \
                     bench times plain networks (e.g. examples/esn.toml)"
                )));
            }
            if warmup > 0.0 {
                // The file's own duration is the measured part unless --duration is given.
                let measured = match ov.duration {
                    Some(d) => d,
                    None => glia_spec::load(path, &ov)?.duration,
                };
                ov.duration = Some(measured + warmup);
            }
            (network.to_string(), glia_spec::load(path, &ov)?)
        }
    };
    memory_check(&model, common, false)?;
    let warmup_steps = (warmup / model.dt).round() as u64;
    if warmup_steps >= model.steps {
        return Err(Failure::Input(format!(
            "--warmup: leaves no step to time ({warmup} ms of {} ms)",
            model.duration
        )));
    }
    let mut net = glia_sim::build::build(&model)?;
    let build_peak_mib = proc_status_mib("VmHWM");
    let mut no_progress = |_| true;
    net.run(warmup_steps, &mut no_progress);
    let spikes0: Vec<u64> = net.stats.iter().map(|s| s.total).collect();
    let cpu0 = process_cpu_s();
    let (stats, fault) = glia_sim::health::run_checked(
        &mut net,
        model.steps - warmup_steps,
        common.on_nan.into(),
        &mut no_progress,
        &mut |f| eprintln!("warning: {f}"),
    );
    if let Some(f) = fault {
        return Err(Failure::Numerical(f.to_string()));
    }
    let sim_cpu_s = process_cpu_s().zip(cpu0).map(|(b, a)| b - a);
    let bio_s = stats.steps as f64 * model.dt / 1000.0;
    // The non-finite check timed on its own (CPU time): its share of the simulation's time.
    let check_cpu_s = nan_check_cpu_s(&net);
    let check_fraction = check_cpu_s.zip(sim_cpu_s).map(|(c, s)| {
        c * (stats.steps as f64 / glia_sim::health::CHECK_EVERY as f64) / s.max(f64::MIN_POSITIVE)
    });
    let pop_spikes: Vec<u64> = net
        .stats
        .iter()
        .zip(&spikes0)
        .map(|(s, s0)| s.total - s0)
        .collect();
    let spikes: u64 = pop_spikes.iter().sum();
    let neurons: usize = net.pops.iter().map(|p| p.size).sum();
    let pop_rates: serde_json::Map<String, serde_json::Value> = net
        .pops
        .iter()
        .zip(&pop_spikes)
        .map(|(p, &k)| {
            (
                p.name.clone(),
                serde_json::json!(k as f64 / (p.size as f64 * bio_s)),
            )
        })
        .collect();
    let peak_mib = proc_status_mib("VmHWM");
    let record = serde_json::json!({
        "simulator": "glia",
        "net": name,
        "neurons": neurons,
        "synapses": net.synapses(),
        "synapse_bytes": net.synapse_bytes(),
        "threads": model.threads,
        "warmup_s": warmup_steps as f64 * model.dt / 1000.0,
        "bio_s": bio_s,
        "build_s": net.build_s,
        "sim_wall_s": stats.wall_s,
        "s_per_bio_s": stats.wall_s / bio_s,
        "spikes": spikes,
        "rate_hz": spikes as f64 / (neurons as f64 * bio_s),
        "pop_rates_hz": pop_rates,
        "synaptic_events_per_s": stats.events as f64 / stats.wall_s,
        "steps_per_s": stats.steps as f64 / stats.wall_s,
        "sim_cpu_s": sim_cpu_s,
        "nan_check_cpu_s": check_cpu_s,
        "nan_check_fraction": check_fraction,
        "on_nan": format!("{:?}", glia_sim::health::OnNan::from(common.on_nan)).to_lowercase(),
        "build_peak_rss_mib": build_peak_mib,
        "peak_rss_mib": peak_mib,
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
        if warmup_steps > 0 {
            println!(
                "  warm-up          {:>10.3} s of biological time (not timed)",
                warmup_steps as f64 * model.dt / 1000.0
            );
        }
        println!(
            "  simulate         {:>10.3} s for {bio_s} s of biological time",
            stats.wall_s
        );
        println!("  per simulated s  {:>10.4} s", stats.wall_s / bio_s);
        println!(
            "  steps            {:>10.3e} per s",
            stats.steps as f64 / stats.wall_s
        );
        println!(
            "  synaptic events  {:>10.3e} per s",
            stats.events as f64 / stats.wall_s
        );
        println!(
            "  mean rate        {:>10.2} Hz",
            spikes as f64 / (neurons as f64 * bio_s)
        );
        if let Some(m) = peak_mib {
            println!("  peak memory      {m:>10.1} MiB (VmHWM)");
        }
        if let (Some(c), Some(f)) = (check_cpu_s, check_fraction) {
            println!(
                "  NaN check        {:>10.2} µs CPU each, every {} steps: {:.2} % of the simulation's CPU time",
                c * 1e6,
                glia_sim::health::CHECK_EVERY,
                f * 100.0
            );
        }
        if net.pops.len() > 1 {
            let per: Vec<String> = pop_rates
                .iter()
                .map(|(n, r)| format!("{n} {:.2}", r.as_f64().unwrap_or(f64::NAN)))
                .collect();
            println!("  rates (Hz)       {}", per.join(", "));
        }
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
            spike_chunk,
            common,
        } => run(model, out.clone(), *p, *spike_chunk, common),
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
            model,
            branching_window,
            rsa_window,
            rsa_quantiles,
        } => analyze(
            out_dir,
            *from,
            *bin,
            *fano_window,
            *pairs,
            &Extra {
                model: model.clone(),
                branching_window: *branching_window,
                rsa_window: *rsa_window,
                rsa_quantiles: (rsa_quantiles[0], rsa_quantiles[1]),
            },
        ),
        Command::Nir { command } => nir(command),
        Command::Nalsm {
            config,
            out,
            readout_only,
            threads,
            seed,
            max_chunks,
        } => nalsm::nalsm(
            config,
            out.clone(),
            *readout_only,
            *threads,
            *seed,
            *max_chunks,
        )
        .map_err(Failure::Input),
        Command::Bench {
            network,
            json,
            warmup,
            common,
        } => bench(network, *json, *warmup, common),
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
        Ok(Err(Failure::Numerical(msg))) => {
            eprintln!("error: {msg}; partial outputs written");
            ExitCode::from(3)
        }
        Err(_) => ExitCode::from(1),
    }
}
