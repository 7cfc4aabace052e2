//! `glia run --plot` writes the figures; `glia plot` on a directory without outputs exits 2
//! with a message naming what is missing, and never panics.

use std::process::Command;

const GLIA: &str = env!("CARGO_BIN_EXE_glia");

#[test]
fn run_with_plot_then_plot_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cuba");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let o = Command::new(GLIA)
        .current_dir(root)
        .args([
            "run",
            "examples/cuba.toml",
            "--duration",
            "100",
            "--plot",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["raster.png", "isi_hist.png", "rate_hist.png", "state.png"] {
        assert!(std::fs::metadata(out.join(f)).unwrap().len() > 1000, "{f}");
    }
    let o = Command::new(GLIA)
        .args(["plot", "--format", "svg", "--from", "10", "--to", "90"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(out.join("raster.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("10–90 ms"));
}

#[test]
fn plot_without_outputs_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    for (dir, expect) in [
        (tmp.path().join("missing"), "no such directory"),
        (tmp.path().to_path_buf(), "no summary.json"),
    ] {
        let o = Command::new(GLIA).arg("plot").arg(&dir).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(expect) && !err.contains("panicked"), "{err}");
    }
}
