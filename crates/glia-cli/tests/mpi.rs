//! `mpirun -n K glia run` (issue 11, feature `mpi`): CUBA, a small Brunel network and a Brunel
//! network with STDP give byte-identical merged outputs (spikes.npz; state, rates and weights
//! where recorded) for 1, 2 and 3 ranks and 1 or 2 threads per rank, equal to the ordinary
//! one-process run; and a rank that fails (missing or bad model file on that rank only) makes
//! every rank exit with the same error and code 2, without hanging.
//!
//! Needs `mpirun` (Open MPI) on the PATH; without it the tests say so and pass.
#![cfg(feature = "mpi")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn glia() -> &'static str {
    env!("CARGO_BIN_EXE_glia")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn have_mpirun() -> bool {
    let ok = Command::new("mpirun")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED: `mpirun` not found (install openmpi-bin libopenmpi-dev)");
    }
    ok
}

/// Run `args` under `mpirun -n ranks` (or directly when `ranks` is 0), killing it after
/// `limit`.
fn launch(ranks: usize, args: &[&str], limit: Duration) -> Output {
    let mut cmd = if ranks == 0 {
        Command::new(glia())
    } else {
        let mut c = Command::new("mpirun");
        c.args(["--allow-run-as-root", "--oversubscribe", "-n"])
            .arg(ranks.to_string())
            .args(["--mca", "btl", "self,vader"])
            .arg(glia());
        c
    };
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start");
    let t0 = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{args:?} with {ranks} ranks still running after {limit:?} (a hang)\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

/// Run `model` with `extra` arguments on 0 (plain), 1, 2, 3 ranks and 1, 2 threads per rank;
/// every output file in `files` must be byte-identical to the plain one-thread run's.
fn identical(model: &Path, extra: &[&str], files: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let mut reference: Option<Vec<Vec<u8>>> = None;
    for (ranks, threads) in [(0, 1), (1, 1), (2, 1), (3, 1), (1, 2), (2, 2), (3, 2)] {
        let out = dir.path().join(format!("r{ranks}t{threads}"));
        let t = threads.to_string();
        let mut args = vec![
            "run",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            &t,
        ];
        args.extend_from_slice(extra);
        let o = launch(ranks, &args, Duration::from_secs(300));
        assert!(
            o.status.success(),
            "{} ranks × {threads} threads failed:\n{}",
            ranks,
            String::from_utf8_lossy(&o.stderr)
        );
        let bytes: Vec<Vec<u8>> = files
            .iter()
            .map(|f| std::fs::read(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")))
            .collect();
        if ranks > 0 {
            let s: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
            assert_eq!(
                s["mpi"]["ranks"], ranks,
                "summary.json names the rank count"
            );
            assert!(s["complete"].as_bool().unwrap());
        }
        match &reference {
            None => {
                assert!(bytes[0].len() > 10_000, "too few spikes to compare");
                reference = Some(bytes);
            }
            Some(r) => {
                for (k, f) in files.iter().enumerate() {
                    assert!(
                        r[k] == bytes[k],
                        "{}: {f} differs with {ranks} ranks × {threads} threads",
                        model.display()
                    );
                }
            }
        }
    }
}

#[test]
fn cuba_is_identical_for_any_rank_and_thread_count() {
    if !have_mpirun() {
        return;
    }
    // CUBA with a state monitor on neurons of three different ranks.
    let text = std::fs::read_to_string(examples().join("cuba.toml"))
        .unwrap()
        .replace("ids = [0, 1, 2]", "ids = [0, 1500, 3100]");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("cuba.toml");
    std::fs::write(&model, text).unwrap();
    identical(
        &model,
        &["--duration", "300"],
        &["spikes.npz", "state.npz", "rates.npz"],
    );
}

#[test]
fn brunel_is_identical_for_any_rank_and_thread_count() {
    if !have_mpirun() {
        return;
    }
    identical(
        &examples().join("brunel.toml"),
        &["--duration", "200", "--param", "order=800"],
        &["spikes.npz", "rates.npz"],
    );
}

#[test]
fn brunel_stdp_is_identical_for_any_rank_and_thread_count() {
    if !have_mpirun() {
        return;
    }
    identical(
        &examples().join("brunel_stdp.toml"),
        &[
            "--duration",
            "200",
            "--param",
            "order=800",
            "--param",
            "CE=400",
            "--param",
            "CI=100",
        ],
        &["spikes.npz", "rates.npz", "weights.npz"],
    );
}

/// A failure on one rank only: every rank prints the same error and exits with code 2, and
/// nothing hangs.
#[test]
fn a_failing_rank_stops_every_rank_with_the_same_error() {
    if !have_mpirun() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let good = examples().join("cuba.toml");
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&good)
            .unwrap()
            .replace("tau_m = 20.0, C_m", "tau_m = -5.0, C_m"),
    )
    .unwrap();
    let missing = dir.path().join("missing.toml");
    for (broken, what) in [(&missing, "missing.toml"), (&bad, "tau_m")] {
        for ranks in [2, 3] {
            // Rank 1 reads the broken file, the others the good one; each rank's stderr and
            // exit code go to files (the wrapper exits 0, so mpirun aborts no rank early).
            let log = dir.path().join(format!("log{ranks}"));
            std::fs::create_dir_all(&log).unwrap();
            let script = format!(
                "r=$OMPI_COMM_WORLD_RANK; if [ \"$r\" = 1 ]; then m={}; else m={}; fi; {} run \"$m\" --out {} --duration 50 2>{}/err.$r; echo $? >{}/rc.$r",
                broken.display(),
                good.display(),
                glia(),
                dir.path().join("out").display(),
                log.display(),
                log.display(),
            );
            let t0 = Instant::now();
            let o = Command::new("mpirun")
                .args(["--allow-run-as-root", "--oversubscribe", "-n"])
                .arg(ranks.to_string())
                .args(["--mca", "btl", "self,vader", "sh", "-c", &script])
                .output()
                .unwrap();
            assert!(t0.elapsed() < Duration::from_secs(120), "took too long");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let mut errors = Vec::new();
            for r in 0..ranks {
                let rc = std::fs::read_to_string(log.join(format!("rc.{r}"))).unwrap();
                let err = std::fs::read_to_string(log.join(format!("err.{r}"))).unwrap();
                assert_eq!(rc.trim(), "2", "rank {r} of {ranks}: exit code\n{err}");
                let line = err
                    .lines()
                    .find(|l| l.starts_with("error:"))
                    .unwrap_or_else(|| panic!("rank {r}: no error line in\n{err}"))
                    .to_string();
                errors.push(line);
            }
            assert!(
                errors.iter().all(|l| *l == errors[0]),
                "the same error on every rank: {errors:?}"
            );
            assert!(
                errors[0].contains(what) && errors[0].contains("on MPI rank 1"),
                "the error names the cause and the rank: {}",
                errors[0]
            );
        }
    }
}
