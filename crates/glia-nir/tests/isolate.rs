//! The isolated NIR reader (`glia_nir::read`, a child process per file, issue 12): a file on which
//! the HDF5 C library crashes gives an error naming the file and the signal, a hang is stopped at
//! the timeout, and valid files and ordinary errors come back exactly as the in-process reader
//! gives them.
#![cfg(all(unix, feature = "hdf5"))]

use glia_nir::NirError;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Regression (issue 12, `nir` fuzz target): a corrupt global heap makes Debian's libhdf5 1.10
/// dereference a wild pointer (`H5HG_read` ← `H5T__conv_vlen` ← `H5Dread`) while reading a
/// variable-length string. In the caller's process that was a segmentation fault; through the
/// isolated reader it is an error that names the file, and the caller carries on.
///
/// Whether the wild pointer hits an unmapped page depends on the address-space layout (the
/// child is a copy of this multi-threaded test process): about 1 read in 40 here finds mapped
/// memory and returns whatever it read. So the file is read 5 times: none may harm this
/// process, and at least one must be the crash error (all 5 not crashing: about 1e-8).
#[test]
fn hdf5_crash_is_an_error_naming_the_file() {
    let f = root().join("fuzz/regressions/nir/crash-335c0789a8ba5b62bb6995f52f68d5085a5a9cd7");
    let mut crashed = 0;
    for _ in 0..5 {
        if let Err(e @ NirError::ReaderCrashed { .. }) = glia_nir::read(&f) {
            let m = e.to_string();
            assert!(
                m.starts_with("the HDF5 library crashed (SIGSEGV) reading ")
                    && m.contains("crash-335c0789a8ba5b62bb6995f52f68d5085a5a9cd7")
                    && m.ends_with("the file is corrupt or not a NIR file"),
                "{m}"
            );
            crashed += 1;
        }
    }
    assert!(crashed >= 1, "the reader never crashed in 5 reads");
    // the caller's HDF5 still works
    assert!(
        glia_nir::read_in_process(&root().join("validation/fixtures/nir/lif_bias.nir")).is_ok()
    );
}

/// Every NIR fixture comes back through the pipe bit for bit as the in-process reader reads it.
#[test]
fn valid_files_round_trip_identically() {
    let dir = root().join("validation/fixtures/nir");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "nir") {
            let a = glia_nir::read(&p).unwrap();
            let b = glia_nir::read_in_process(&p).unwrap();
            assert_eq!(a, b, "{}", p.display());
            assert_eq!(a.to_bytes(), b.to_bytes(), "{}", p.display());
            assert!(!a.nodes.is_empty());
            n += 1;
        }
    }
    assert!(n >= 4, "{n} fixtures");
}

/// A larger graph (a 1000 × 1000 weight matrix, 8 MB: far more than a pipe buffer) too.
#[test]
fn large_graph_round_trips() {
    let mut g = glia_nir::Graph::default();
    let w: Vec<f64> = (0..1_000_000).map(|i| (i as f64).sin()).collect();
    g.nodes.insert(
        "fc".into(),
        glia_nir::Node::new(
            "Linear",
            [("weight", glia_nir::Field::floats(&[1000, 1000], w))],
        ),
    );
    g.edges.push(("fc".into(), "fc".into()));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.nir");
    glia_nir::write(&p, &g).unwrap();
    assert_eq!(glia_nir::read(&p).unwrap(), g);
}

/// Ordinary errors (not an HDF5 file, not a NIR file, a missing file) are the in-process
/// reader's, word for word.
#[test]
fn errors_pass_through() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.nir");
    std::fs::write(&text, "not HDF5").unwrap();
    let other = dir.path().join("other.h5");
    glia_nir::write(&other, &glia_nir::Graph::default()).unwrap();
    let zip = root().join("validation/fixtures/nir/cuba_net_reference.npz");
    for p in [text, dir.path().join("missing.nir"), zip] {
        let a = glia_nir::read(&p).unwrap_err();
        let b = glia_nir::read_in_process(&p).unwrap_err();
        assert!(matches!(a, NirError::File { .. }), "{a:?}");
        assert_eq!(a.to_string(), b.to_string());
        assert!(a.to_string().contains(&*p.to_string_lossy()), "{a}");
    }
    assert!(glia_nir::read(&other).unwrap().nodes.is_empty());
}

/// A reader that does not finish is killed at the timeout. A FIFO without a writer makes the
/// child block in `open` forever, as a looping HDF5 would.
#[test]
fn hang_is_stopped_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stuck.nir");
    let st = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(st.success());
    let t = Instant::now();
    let e = glia_nir::read_with_timeout(&fifo, Duration::from_millis(500)).unwrap_err();
    let took = t.elapsed();
    assert!(matches!(e, NirError::ReaderTimeout { .. }), "{e:?}");
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(10),
        "{took:?}"
    );
    let m = e.to_string();
    assert!(
        m.starts_with("reading ") && m.contains("stuck.nir took longer than 0.5 s"),
        "{m}"
    );
}
