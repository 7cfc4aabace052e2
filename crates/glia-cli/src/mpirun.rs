//! `mpirun -n K glia run MODEL.toml`: one rank of a distributed run (see
//! `glia_sim::distributed`). Every step that can fail on one rank only (reading the model,
//! building its part) ends in an agreement, so that every rank stops with the same error
//! instead of waiting in a collective; rank 0 writes the merged outputs.

use crate::{
    Common, Failure, list_outputs, memory_check, overrides, progress_bar, report_populations,
};
use glia_sim::Communicator;
use glia_sim::distributed::{self, DistRun};
use glia_sim::output::{RunInfo, write_outputs_with};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn message(f: &Failure) -> String {
    match f {
        Failure::Input(m) | Failure::Numerical(m) => m.clone(),
        Failure::Interrupted => "interrupted".into(),
    }
}

/// Every rank gets `Ok` if all ranks succeeded, else the lowest failing rank's error.
fn agree<T>(comm: &Communicator, r: Result<T, Failure>) -> Result<T, Failure> {
    let err = r.as_ref().err().map(message);
    match comm.agree(err.as_deref()) {
        None => r,
        Some((rank, msg)) => Err(Failure::Input(if comm.size() > 1 {
            format!("{msg} (on MPI rank {rank} of {})", comm.size())
        } else {
            msg
        })),
    }
}

/// Run the model as one rank of `comm`.
pub(crate) fn run(
    comm: &Communicator,
    model_path: &Path,
    out: Option<PathBuf>,
    common: &Common,
) -> Result<(), Failure> {
    let (rank, ranks) = (comm.rank(), comm.size());
    let model = agree(
        comm,
        (|| {
            if std::fs::read_to_string(model_path)
                .is_ok_and(|t| glia_reservoir::experiment::is_experiment(&t))
            {
                return Err(Failure::Input(format!(
                    "{}: reservoir experiments run on one process only (started with {ranks} MPI ranks)",
                    model_path.display()
                )));
            }
            let model = glia_spec::load(model_path, &overrides(common))?;
            memory_check(&model, common, false)?;
            Ok(model)
        })(),
    )?;
    let out = out.unwrap_or_else(|| {
        PathBuf::from("out").join(
            model_path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into()),
        )
    });
    if rank == 0 {
        eprintln!(
            "glia: {} — {} populations, {} neurons, {:.1} ms at dt = {} ms, {ranks} MPI rank(s) × {} thread(s)",
            model_path.display(),
            model.populations.len(),
            model.populations.iter().map(|p| p.size).sum::<usize>(),
            model.duration,
            model.dt,
            model.threads
        );
    }
    let built = glia_sim::build::build_part(&model, rank, ranks)
        .map_err(Failure::from)
        .and_then(|net| {
            net.distributed_support().map_err(Failure::Input)?;
            Ok(net)
        });
    let mut net = agree(comm, built)?;
    net.set_exchange_interval(comm);
    let build_s = comm.max_f64(net.build_s);
    if rank == 0 {
        eprintln!(
            "built rank 0's {} synapses in {build_s:.2} s (slowest rank); spikes exchanged every {} steps",
            net.synapses(),
            net.layout().interval
        );
    }

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let pb = if rank == 0 {
        progress_bar(model.steps, model.dt)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let dt = model.dt;
    let (figures, fault) = distributed::run_checked_distributed(
        &mut net,
        comm,
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
        &mut |f| {
            pb.suspend(|| eprintln!("warning (MPI rank {rank}): {f} (--on-nan=warn: running on)"))
        },
    );
    pb.finish_and_clear();
    let fault = comm
        .agree(fault.as_ref().map(|f| f.to_string()).as_deref())
        .map(|(r, m)| {
            if ranks > 1 {
                format!("{m} (on MPI rank {r})")
            } else {
                m
            }
        });
    let stats = figures.run;
    let reason = match &fault {
        Some(f) => Some(f.clone()),
        None if !stats.complete => Some("interrupted (SIGINT or SIGTERM)".to_string()),
        None => None,
    };
    if let Some(r) = &reason
        && rank == 0
    {
        eprintln!(
            "stopped at {:.1} ms: {r}; writing what was recorded (summary.json has \"complete\": false)",
            net.step as f64 * dt
        );
    }
    let totals = net.gather_distributed(comm);
    let all: Vec<DistRun> = distributed::gather_figures(comm, &figures);
    let written = if rank == 0 {
        let info = RunInfo {
            model_path: &model_path.to_string_lossy(),
            run: stats,
            parameters: &model.parameters,
        };
        write_outputs_with(&net, &out, &info, reason.as_deref(), &|doc| {
            distributed::patch_summary(doc, &net, &totals, &all)
        })
        .map_err(Failure::from)
    } else {
        Ok(Vec::new())
    };
    let files = agree(comm, written)?;
    if rank == 0 {
        let secs = net.step as f64 * dt / 1000.0;
        let ex = all.iter().map(|r| r.comm.seconds).fold(0.0, f64::max);
        eprintln!(
            "simulated {:.1} ms in {:.2} s ({:.3} s per simulated s, {:.3e} synaptic events/s); spike exchange {:.2} s (slowest rank, {} exchanges)",
            net.step as f64 * dt,
            stats.wall_s,
            stats.wall_s / secs.max(f64::MIN_POSITIVE),
            stats.events as f64 / stats.wall_s.max(f64::MIN_POSITIVE),
            ex,
            figures.comm.calls,
        );
        report_populations(&net, secs);
        list_outputs(&out, &files);
    }
    if let Some(f) = fault {
        return Err(Failure::Numerical(f));
    }
    if !stats.complete {
        return Err(Failure::Interrupted);
    }
    Ok(())
}
