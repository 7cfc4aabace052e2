//! The figures, drawn on any plotters backend.

use crate::data::StateMonitor;
use crate::{DrawResult, Options, Run};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Colours of populations and traces (matplotlib's tab10).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const FONT: &str = "sans-serif";
const TITLE: u32 = 30;
const CAPTION: u32 = 22;
const DESC: u32 = 20;
const LABEL: u32 = 17;
const WIDTH: u32 = 1400;

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The figures [`crate::plot_run`] writes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Figure {
    Raster,
    IsiHist,
    RateHist,
    State,
    WeightHist,
}

impl Figure {
    pub(crate) fn stem(self) -> &'static str {
        match self {
            Figure::Raster => "raster",
            Figure::IsiHist => "isi_hist",
            Figure::RateHist => "rate_hist",
            Figure::State => "state",
            Figure::WeightHist => "weight_hist",
        }
    }

    /// Image size in pixels.
    pub(crate) fn size(self, run: &Run) -> (u32, u32) {
        match self {
            Figure::Raster => (WIDTH, 950),
            Figure::IsiHist | Figure::RateHist => {
                let (rows, _) = grid(run.spikes.len());
                (WIDTH, 70 + 430 * rows as u32)
            }
            Figure::State => {
                let (rows, _) = state_grid(state_panels(run));
                (WIDTH, 70 + 300 * rows as u32)
            }
            Figure::WeightHist => {
                let (rows, _) = grid(run.weights.len());
                (WIDTH, 70 + 430 * rows as u32)
            }
        }
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, Shift>,
        run: &Run,
        opts: &Options,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        match self {
            Figure::Raster => raster(root, run, opts),
            Figure::IsiHist => histograms(root, run, Hist::Isi),
            Figure::RateHist => histograms(root, run, Hist::Rate),
            Figure::State => state(root, run, opts),
            Figure::WeightHist => weight_histograms(root, run),
        }
    }
}

/// Most state panels (monitor × variable) drawn.
const MAX_STATE_PANELS: usize = 24;

/// State panels: one per variable of each monitor.
fn state_panels(run: &Run) -> usize {
    run.state.iter().map(|m| m.vars.len()).sum()
}

/// Rows and columns for `n` state panels: one column up to 6, two beyond.
fn state_grid(n: usize) -> (usize, usize) {
    let n = n.clamp(1, MAX_STATE_PANELS);
    let cols = if n <= 6 { 1 } else { 2 };
    (n.div_ceil(cols), cols)
}

/// At most about `2 · buckets` points of the trace `(t_k, y_k)`: the minimum and maximum of each
/// of `buckets` runs of samples, in time order, so spikes survive the thinning.
fn envelope(pts: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    if pts.len() <= 2 * buckets {
        return pts.to_vec();
    }
    let per = pts.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(2 * buckets);
    for chunk in pts.chunks(per) {
        let lo = chunk.iter().min_by(|a, b| a.1.total_cmp(&b.1)).copied();
        let hi = chunk.iter().max_by(|a, b| a.1.total_cmp(&b.1)).copied();
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo.0 <= hi.0 {
                out.extend([lo, hi]);
            } else {
                out.extend([hi, lo]);
            }
        }
    }
    out
}

/// Fewest recorded neurons of a population whose rate the raster figure plots.
const MIN_RATE_NEURONS: usize = 10;

/// Rows and columns for `n` panels.
fn grid(n: usize) -> (usize, usize) {
    let cols = n.clamp(1, 3);
    (n.div_ceil(cols).max(1), cols)
}

/// A tick label: no trailing zeros, scientific notation only for very large or small values.
fn tick(x: &f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{x:.1e}")
    } else {
        let s = format!("{x:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.into() }
    }
}

/// The smallest of 1, 2, 5 × 10^k that is ≥ `x` (a bin width).
fn nice(x: f64) -> f64 {
    round_up(x, &[1.0, 2.0, 5.0, 10.0])
}

/// The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k that is ≥ `x` (an axis end).
fn axis_end(x: f64) -> f64 {
    round_up(x, &[1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0])
}

fn round_up(x: f64, steps: &[f64]) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    steps
        .iter()
        .map(|m| m * p)
        .find(|&v| v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * p)
}

fn title(run: &Run, what: &str) -> String {
    format!("{} — {what}   ({})", run.model_name, run.model_path)
}

fn window_note(run: &Run) -> String {
    format!("{}–{} ms", tick(&run.window.0), tick(&run.window.1))
}

fn raster<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &Run,
    opts: &Options,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let body = root.titled(&title(run, "spikes"), (FONT, TITLE))?;
    let h = body.dim_in_pixel().1;
    // Population rates of populations with too few neurons are mere spike trains: no panel.
    let rated = |n: usize| n >= MIN_RATE_NEURONS;
    let any_rated = run.spikes.iter().any(|s| rated(s.2.n));
    let (top, bottom) = body.split_vertically(if any_rated { h * 64 / 100 } else { h });
    let (t0, t1) = run.window;

    // Stacked populations: population p occupies [offset[p], offset[p] + recorded neurons).
    let mut offsets = Vec::new();
    let mut total = 0usize;
    let mut notes = Vec::new();
    let max = opts.max_neurons.max(1);
    for (name, size, trains, recorded) in &run.spikes {
        offsets.push(total);
        total += trains.n;
        let stride = trains.n.div_ceil(max);
        if stride > 1 {
            notes.push(format!(
                "{name}: every {} of {} neurons",
                ordinal(stride),
                trains.n
            ));
        } else if recorded.is_some() {
            notes.push(format!("{name}: {} of {size} recorded", trains.n));
        }
    }
    let caption = if notes.is_empty() {
        format!("spike raster, {total} neurons, {}", window_note(run))
    } else {
        format!("spike raster ({}), {}", notes.join("; "), window_note(run))
    };
    // Room for the population names on the right (DejaVu Sans at 20 px: about 11 px a letter).
    let longest = run
        .spikes
        .iter()
        .map(|s| s.0.chars().count())
        .max()
        .unwrap_or(0);
    let right = (longest as u32 * 11 + 25).clamp(60, 300);
    let mut chart = ChartBuilder::on(&top)
        .caption(caption, (FONT, CAPTION))
        .margin(10)
        .margin_right(right)
        .x_label_area_size(45)
        .y_label_area_size(90)
        .build_cartesian_2d(t0..t1, 0f64..total.max(1) as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time [ms]")
        .y_desc("neuron index")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style((FONT, LABEL))
        .axis_desc_style((FONT, DESC))
        .draw()?;
    for (p, (_, _, trains, _)) in run.spikes.iter().enumerate() {
        let c = colour(p);
        let stride = trains.n.div_ceil(max);
        let off = offsets[p] as f64;
        let spikes = trains
            .trains
            .iter()
            .enumerate()
            .step_by(stride)
            .flat_map(|(i, t)| t.iter().map(move |&s| (s, off + i as f64 + 0.5)));
        if total <= 100 {
            // Few neurons: a vertical tick per spike, most of the row high.
            chart.draw_series(spikes.map(|(t, y)| {
                PathElement::new(vec![(t, y - 0.4), (t, y + 0.4)], c.stroke_width(2))
            }))?;
        } else {
            chart.draw_series(spikes.map(|pt| Circle::new(pt, 1, c.filled())))?;
        }
        if p > 0 {
            chart.draw_series(LineSeries::new(
                [(t0, off), (t1, off)],
                BLACK.mix(0.4).stroke_width(1),
            ))?;
        }
    }
    // Population names in the right margin, beside their band.
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let base = top.get_base_pixel();
    for (p, (name, _, trains, _)) in run.spikes.iter().enumerate() {
        let mid = offsets[p] as f64 + trains.n as f64 / 2.0;
        let frac = mid / total.max(1) as f64;
        let y = yr.end - ((yr.end - yr.start) as f64 * frac) as i32 - base.1;
        top.draw(&Text::new(
            name.clone(),
            (xr.end - base.0 + 10, y - 10),
            (FONT, DESC).into_font().color(&colour(p)),
        ))?;
    }

    if !any_rated {
        return Ok(());
    }
    // Population rates below.
    let span = t1 - t0;
    let bin = nice((span / 1000.0).max(1.0).max(run.dt));
    let rates: Vec<Vec<(f64, f64)>> = run
        .spikes
        .iter()
        .map(|(_, _, trains, _)| {
            if !rated(trains.n) {
                return Vec::new();
            }
            trains
                .population_rate(bin)
                .into_iter()
                .enumerate()
                .map(|(k, r)| (t0 + (k as f64 + 0.5) * bin, r))
                .collect()
        })
        .collect();
    let rmax = rates
        .iter()
        .flatten()
        .map(|p| p.1)
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.08;
    let skipped: Vec<&str> = run
        .spikes
        .iter()
        .filter(|s| !rated(s.2.n))
        .map(|s| s.0.as_str())
        .collect();
    let caption = if skipped.is_empty() {
        format!("population rate, {} ms bins", tick(&bin))
    } else {
        format!(
            "population rate, {} ms bins (not of {}: < {MIN_RATE_NEURONS} neurons)",
            tick(&bin),
            skipped.join(", ")
        )
    };
    let mut chart = ChartBuilder::on(&bottom)
        .caption(caption, (FONT, CAPTION))
        .margin(10)
        .margin_right(right)
        .x_label_area_size(45)
        .y_label_area_size(90)
        .build_cartesian_2d(t0..t1, 0f64..rmax)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.12))
        .x_desc("time [ms]")
        .y_desc("rate [Hz]")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .y_labels(5)
        .label_style((FONT, LABEL))
        .axis_desc_style((FONT, DESC))
        .draw()?;
    for (p, (series, (name, _, _, _))) in rates.into_iter().zip(&run.spikes).enumerate() {
        if series.is_empty() {
            continue;
        }
        let c = colour(p);
        chart
            .draw_series(LineSeries::new(series, c.stroke_width(1)))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.5))
        .label_font((FONT, LABEL))
        .draw()?;
    Ok(())
}

fn ordinal(k: usize) -> String {
    let suffix = match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
}

#[derive(Clone, Copy, PartialEq)]
enum Hist {
    Isi,
    Rate,
}

/// Counts of `xs` in `bins` equal bins over `[0, hi)`; values ≥ `hi` are counted apart.
fn bin_counts(xs: &[f64], hi: f64, bins: usize) -> (Vec<u64>, u64) {
    let mut c = vec![0u64; bins];
    let mut over = 0;
    for &x in xs {
        let k = (x / hi * bins as f64).floor();
        if k >= 0.0 && (k as usize) < bins {
            c[k as usize] += 1;
        } else {
            over += 1;
        }
    }
    (c, over)
}

/// The value below which a fraction `q` of the sorted `xs` lie.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn histograms<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &Run,
    what: Hist,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let name = match what {
        Hist::Isi => "inter-spike intervals",
        Hist::Rate => "firing rates",
    };
    let body = root.titled(&title(run, name), (FONT, TITLE))?;
    let (rows, cols) = grid(run.spikes.len());
    let panels = body.split_evenly((rows, cols));
    for (p, ((pop, _, trains, _), area)) in run.spikes.iter().zip(&panels).enumerate() {
        let mut xs: Vec<f64> = match what {
            Hist::Isi => trains
                .trains
                .iter()
                .flat_map(|t| t.windows(2).map(|w| w[1] - w[0]))
                .collect(),
            Hist::Rate => trains.rates(),
        };
        xs.sort_by(f64::total_cmp);
        let (bins, hi, caption, x_desc, y_desc) = match what {
            Hist::Isi => {
                let hi = axis_end(quantile(&xs, 0.995).max(run.dt * 10.0));
                let mean_cv = glia_analysis::mean(trains.isi_cv().into_iter().flatten());
                let cv = mean_cv.map_or(String::new(), |c| format!(", mean CV {c:.2}"));
                (
                    60,
                    hi,
                    format!("{pop}: {} intervals{cv}", xs.len()),
                    "inter-spike interval [ms]",
                    "count",
                )
            }
            Hist::Rate => {
                let hi = axis_end(xs.last().copied().unwrap_or(0.0).max(1.0) * 1.02);
                (
                    40,
                    hi,
                    format!(
                        "{pop}: {} neurons, mean {:.2} Hz",
                        trains.n,
                        trains.mean_rate()
                    ),
                    "firing rate [Hz]",
                    "neurons",
                )
            }
        };
        let (counts, over) = bin_counts(&xs, hi, bins);
        let caption = if over > 0 {
            format!("{caption} ({over} beyond {} not shown)", tick(&hi))
        } else {
            caption
        };
        let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.08;
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, CAPTION))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..hi, 0f64..top)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(BLACK.mix(0.12))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_labels(6)
            .y_labels(6)
            .label_style((FONT, LABEL))
            .axis_desc_style((FONT, DESC))
            .draw()?;
        let w = hi / bins as f64;
        let c = colour(p);
        chart.draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(k, &n)| {
                    Rectangle::new(
                        [(k as f64 * w, 0.0), ((k + 1) as f64 * w, n as f64)],
                        c.mix(0.85).filled(),
                    )
                }),
        )?;
        if xs.is_empty() {
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            let base = area.get_base_pixel();
            area.draw(&Text::new(
                "no spikes",
                (
                    (xr.start + xr.end) / 2 - base.0 - 40,
                    (yr.start + yr.end) / 2 - base.1,
                ),
                (FONT, DESC),
            ))?;
        }
    }
    Ok(())
}

/// Bins of the weight histograms.
const WEIGHT_BINS: usize = 50;

/// One histogram per plastic projection of its weights at the end of the run, over the range
/// of the weights (bimodal STDP distributions show their two modes at the bounds).
fn weight_histograms<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let body = root.titled(
        &title(run, "final weights of plastic projections"),
        (FONT, TITLE),
    )?;
    let (rows, cols) = grid(run.weights.len());
    let panels = body.split_evenly((rows, cols));
    for (p, ((proj, w), area)) in run.weights.iter().zip(&panels).enumerate() {
        let (lo, hi) = weight_range(w);
        let mut counts = vec![0u64; WEIGHT_BINS];
        let width = (hi - lo) / WEIGHT_BINS as f64;
        for &x in w {
            let k = (((x - lo) / width).floor().max(0.0) as usize).min(WEIGHT_BINS - 1);
            counts[k] += 1;
        }
        let mean = if w.is_empty() {
            0.0
        } else {
            w.iter().sum::<f64>() / w.len() as f64
        };
        let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.08;
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{proj}: {} synapses, mean {}", w.len(), tick(&mean)),
                (FONT, CAPTION),
            )
            .margin(12)
            .margin_right(36)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(lo..hi, 0f64..top)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(BLACK.mix(0.12))
            .x_desc("weight [pA into current ports, nS into conductance ports]")
            .y_desc("synapses")
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_labels(6)
            .y_labels(6)
            .label_style((FONT, LABEL))
            .axis_desc_style((FONT, DESC))
            .draw()?;
        let c = colour(p);
        chart.draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(k, &n)| {
                    let x0 = lo + k as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width, n as f64)], c.mix(0.85).filled())
                }),
        )?;
    }
    Ok(())
}

/// The histogram range of `w`: its minimum and maximum, widened when all weights are equal.
pub(crate) fn weight_range(w: &[f64]) -> (f64, f64) {
    let lo = w.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi > lo {
        (lo, hi)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.5 };
        (lo - pad, hi + pad)
    }
}

/// The axis label of state variable `var` of a neuron of `model`, with its unit.
pub(crate) fn var_label(var: &str, model: Option<&str>) -> String {
    let izh = model == Some("izhikevich");
    let unit = match var {
        "v" | "theta" => "mV",
        "w" => "pA",
        "u" if izh => "mV/ms",
        "m" | "h" | "n" => "1",
        _ if var.starts_with("I_") => {
            if izh {
                "model units"
            } else {
                "pA"
            }
        }
        _ if var.starts_with("dI_") => {
            if izh {
                "model units/ms"
            } else {
                "pA/ms"
            }
        }
        _ if var.starts_with("g_") => "nS",
        _ if var.starts_with("dg_") => "nS/ms",
        _ => return var.to_string(),
    };
    format!("{var} [{unit}]")
}

fn state<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run, opts: &Options) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let total = state_panels(run);
    let what = if total > MAX_STATE_PANELS {
        format!("state (first {MAX_STATE_PANELS} of {total} panels)")
    } else {
        "state".to_string()
    };
    let body = root.titled(&title(run, &what), (FONT, TITLE))?;
    let panels: Vec<(&StateMonitor, usize)> = run
        .state
        .iter()
        .flat_map(|m| (0..m.vars.len()).map(move |v| (m, v)))
        .take(MAX_STATE_PANELS)
        .collect();
    let areas = body.split_evenly(state_grid(total));
    let (t0, t1) = run.window;
    for ((m, v), area) in panels.into_iter().zip(&areas) {
        let (var, data) = &m.vars[v];
        let cols = m.ids.len();
        let shown = cols.min(opts.max_traces.max(1));
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for row in data.chunks(cols.max(1)) {
            for &x in &row[..shown] {
                if x.is_finite() {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let pad = ((hi - lo) * 0.06).max(1e-9 + lo.abs() * 1e-6);
        let more = if cols > shown {
            format!(" (first {shown} of {cols} recorded)")
        } else {
            String::new()
        };
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{}: {var}{more}", m.name), (FONT, CAPTION))
            .margin(10)
            .margin_right(20)
            .x_label_area_size(45)
            .y_label_area_size(90)
            .build_cartesian_2d(t0..t1, (lo - pad)..(hi + pad))?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(BLACK.mix(0.12))
            .x_desc("time [ms]")
            .y_desc(var_label(var, m.model.as_deref()))
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .y_labels(5)
            .label_style((FONT, LABEL))
            .axis_desc_style((FONT, DESC))
            .draw()?;
        for j in 0..shown {
            let c = colour(j);
            let pts: Vec<(f64, f64)> =
                m.t.iter()
                    .zip(data.chunks(cols))
                    .map(|(&t, row)| (t, row[j]))
                    .filter(|p| p.1.is_finite())
                    .collect();
            let pts = envelope(&pts, 2000);
            chart
                .draw_series(LineSeries::new(pts, c.stroke_width(1)))?
                .label(format!("neuron {}", m.ids[j]))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
                });
        }
        if v == 0 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.5))
                .label_font((FONT, LABEL))
                .draw()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_bins() {
        assert_eq!(tick(&200.0), "200");
        assert_eq!(tick(&0.5), "0.5");
        assert_eq!(tick(&-0.0), "0");
        assert_eq!(tick(&2.5e7), "2.5e7");
        assert_eq!(nice(1.0), 1.0);
        assert_eq!(nice(1.3), 2.0);
        assert_eq!(nice(31.0), 50.0);
        assert_eq!(axis_end(27.5), 30.0);
        assert_eq!(axis_end(0.7), 0.8);
        assert_eq!(state_grid(3), (3, 1));
        assert_eq!(state_grid(16), (8, 2));
        assert_eq!(state_grid(40), (12, 2));
        let pts: Vec<(f64, f64)> = (0..10_000).map(|k| (k as f64, (k % 97) as f64)).collect();
        let e = envelope(&pts, 100);
        assert!(e.len() <= 200);
        assert_eq!(e.iter().map(|p| p.1).fold(0.0, f64::max), 96.0);
        assert!(e.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(ordinal(2), "2nd");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(var_label("v", Some("lif")), "v [mV]");
        assert_eq!(var_label("I_exc", Some("lif")), "I_exc [pA]");
        assert_eq!(var_label("g_inh", Some("hh")), "g_inh [nS]");
    }
}

#[cfg(test)]
mod weight_tests {
    use super::weight_range;

    /// The histogram range is the weights' range, widened around a single value (and around
    /// 0 by ±1), and a fallback for no weights.
    #[test]
    fn weight_range_covers_the_weights() {
        assert_eq!(weight_range(&[0.5, -1.0, 2.0]), (-1.0, 2.0));
        assert_eq!(weight_range(&[2.0, 2.0]), (1.0, 3.0));
        assert_eq!(weight_range(&[0.0]), (-1.0, 1.0));
        assert_eq!(weight_range(&[]), (0.0, 1.0));
    }
}
