//! Milliseconds ↔ integer steps.
//!
//! All times in glia model files are in milliseconds. The engine works in integer steps of `dt`.
//! A time is converted to steps by rounding to the nearest step; [`to_steps`] reports how far the
//! time was from the grid so callers can reject times that are not (close to) multiples of `dt`.

/// Tolerance, in steps, under which a time counts as lying on the step grid.
pub const GRID_TOLERANCE: f64 = 1e-6;

/// `t_ms / dt_ms` rounded to the nearest integer step, and whether `t_ms` was on the grid.
pub fn to_steps(t_ms: f64, dt_ms: f64) -> (i64, bool) {
    let x = t_ms / dt_ms;
    let r = x.round();
    (r as i64, (x - r).abs() <= GRID_TOLERANCE * x.abs().max(1.0))
}

/// The time in ms at the end of step `step` (spikes emitted during step `s` carry `(s + 1)·dt`).
pub fn step_end_ms(step: u64, dt_ms: f64) -> f64 {
    (step + 1) as f64 * dt_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(to_steps(1.5, 0.1), (15, true));
        assert_eq!(to_steps(0.05, 0.1).0, 1); // rounds half away from zero
        assert_eq!(to_steps(0.04, 0.1), (0, false));
        assert_eq!(to_steps(1000.0, 0.1), (10000, true));
        assert!((step_end_ms(9, 0.1) - 1.0).abs() < 1e-12);
    }
}
