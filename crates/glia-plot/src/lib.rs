//! glia-plot: figures of a `glia run` output directory, as PNG and SVG.
//!
//! [`plot_dir`] reads `summary.json`, `spikes.npz` and `state.npz` (see `glia_sim::output`) and
//! writes into the same directory:
//!
//! | file | what |
//! |---|---|
//! | `raster.png` | spike raster, populations stacked and coloured (at most [`Options::max_neurons`] per population drawn, every k-th neuron, said in the title), population rates below |
//! | `isi_hist.png` | histogram of inter-spike intervals, one panel per population |
//! | `rate_hist.png` | histogram of per-neuron firing rates, one panel per population |
//! | `state.png` | a few traces per variable of each state monitor, with units |
//!
//! and the `.svg` equivalents when asked ([`Formats`]). Text is drawn with the bundled DejaVu
//! Sans (`fonts/DejaVuSans.ttf`, Bitstream Vera / DejaVu licence in `fonts/LICENSE-DejaVu.txt`)
//! through plotters' `ab_glyph` feature, so no system font library is needed. PNGs are rendered
//! into memory and encoded with the `png` crate; every file goes through
//! [`glia_io::AtomicFile`], so a failure leaves no half-written image.

mod data;
mod figures;

pub use data::Run;

use glia_io::{AtomicFile, IoError};
use plotters::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The font all text is drawn with, registered under the family name `sans-serif`.
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Errors reading a run or writing its figures.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// An output file could not be read or a figure not written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The directory does not hold what is needed, or the options do not fit it.
    #[error("{dir}: {message}")]
    Input {
        /// The output directory.
        dir: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Drawing failed (a bug in glia or plotters, or the font could not be used).
    #[error("drawing {file}: {message}")]
    Draw {
        /// The figure.
        file: PathBuf,
        /// plotters' message.
        message: String,
    },
}

/// Which image formats to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    /// Write `.png` files.
    pub png: bool,
    /// Write `.svg` files.
    pub svg: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Self {
            png: true,
            svg: false,
        }
    }
}

/// What to plot.
#[derive(Clone, Debug)]
pub struct Options {
    /// Image formats.
    pub formats: Formats,
    /// Start of the plotted time window \[ms\].
    pub from_ms: f64,
    /// End of the plotted time window \[ms\]; `None`: the end of the run.
    pub to_ms: Option<f64>,
    /// Most neurons of one population drawn in the raster (every k-th beyond).
    pub max_neurons: usize,
    /// Most traces per state-monitor variable.
    pub max_traces: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            formats: Formats::default(),
            from_ms: 0.0,
            to_ms: None,
            max_neurons: 2000,
            max_traces: 5,
        }
    }
}

/// Plot the outputs of the run in `dir` into `dir`; returns the files written.
pub fn plot_dir(dir: &Path, opts: &Options) -> Result<Vec<PathBuf>, PlotError> {
    let run = Run::load(dir, opts.from_ms, opts.to_ms)?;
    plot_run(&run, dir, opts)
}

/// Plot a loaded run into `out_dir`; returns the files written.
pub fn plot_run(run: &Run, out_dir: &Path, opts: &Options) -> Result<Vec<PathBuf>, PlotError> {
    register_font()?;
    let mut figs = Vec::new();
    if !run.spikes.is_empty() {
        figs.push(figures::Figure::Raster);
        figs.push(figures::Figure::IsiHist);
        figs.push(figures::Figure::RateHist);
    }
    if !run.state.is_empty() {
        figs.push(figures::Figure::State);
    }
    if !run.weights.is_empty() {
        figs.push(figures::Figure::WeightHist);
    }
    let mut written = Vec::new();
    for fig in figs {
        let size = fig.size(run);
        if opts.formats.png {
            let path = out_dir.join(format!("{}.png", fig.stem()));
            write_png(&path, size, |root| fig.draw(root, run, opts))?;
            written.push(path);
        }
        if opts.formats.svg {
            let path = out_dir.join(format!("{}.svg", fig.stem()));
            write_svg(&path, size, |root| fig.draw(root, run, opts))?;
            written.push(path);
        }
    }
    Ok(written)
}

fn register_font() -> Result<(), PlotError> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Draw {
            file: PathBuf::from("fonts/DejaVuSans.ttf"),
            message: "the bundled font could not be read".into(),
        })
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw_err(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw {
        file: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn io_err(path: &Path, source: std::io::Error) -> PlotError {
    PlotError::Io(IoError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write_png(
    path: &Path,
    (w, h): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> DrawResult,
) -> Result<(), PlotError> {
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(path, e))?;
        draw(&root).map_err(|e| draw_err(path, e))?;
        root.present().map_err(|e| draw_err(path, e))?;
    }
    let mut f = AtomicFile::create(path)?;
    {
        let mut enc = png::Encoder::new(f.writer(), w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Plots are mostly flat colour: the strong setting makes them several times smaller
        // for a few milliseconds more.
        enc.set_compression(png::Compression::Best);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let png_err = |e: png::EncodingError| io_err(path, std::io::Error::other(e));
        let mut wr = enc.write_header().map_err(png_err)?;
        wr.write_image_data(&buf).map_err(png_err)?;
        wr.finish().map_err(png_err)?;
    }
    f.commit()?;
    Ok(())
}

fn write_svg(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> DrawResult,
) -> Result<(), PlotError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_err(path, e))?;
        draw(&root).map_err(|e| draw_err(path, e))?;
        root.present().map_err(|e| draw_err(path, e))?;
    }
    let mut f = AtomicFile::create(path)?;
    f.writer()
        .write_all(text.as_bytes())
        .map_err(|e| io_err(path, e))?;
    f.commit()?;
    Ok(())
}
