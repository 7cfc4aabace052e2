//! Receptor ports for neuron models with a nonlinear membrane (everything except `lif`, which
//! integrates its linear ports exactly in its own kernels).
//!
//! A port turns the spikes arriving in a step (the sum of their weights, `w`) into a synaptic
//! variable `x` — a current `I` \[pA\] or a conductance `g` \[nS\] — with one of three kernels:
//!
//! ```text
//! exp:    dx/dt = −x/τ                   spike: x += w
//! alpha:  dx/dt = −x/τ + y, dy/dt = −y/τ  spike: y += w·e/τ   (x peaks at w, t = τ after the spike)
//! delta:  the membrane potential jumps by w [mV] at the end of the step
//! ```
//!
//! Each step, [`Ports::step`] gives the model the synaptic drive **averaged exactly over the
//! step** as an affine function of the membrane potential, `I_syn(v) = cur − cond·v`:
//! a current port adds its average `x̄` to `cur`; a conductance port adds `ḡ` to `cond` and
//! `ḡ·E_rev` to `cur`. The averages are exact for the kernels (`x̄ = x·A + y·B`, with
//! `A = τ/h·(1 − e^{−h/τ})` and `B = (τ²(1 − e^{−h/τ}) − τ h e^{−h/τ})/h`), so a model that
//! holds `I_syn` at its step average makes an error of second order in `h`. Then the port
//! variables advance exactly (`x ← e^{−h/τ}(x + h y)`, `y ← e^{−h/τ} y`) and take this step's
//! input, which arrives at the end of the step (as in NEST).

use glia_spec::{Kernel, PortSpec, SynapseKind};

/// Per-port constants for one step `h`.
#[derive(Clone, Debug)]
pub struct PortConst {
    /// Kernel.
    pub kernel: Kernel,
    /// Reversal potential \[mV\] for conductance ports.
    pub e_rev: Option<f64>,
    /// `e^{−h/τ}`.
    pub decay: f64,
    /// Step average of `x` per unit `x` at the start of the step.
    pub avg_x: f64,
    /// Step average of `x` per unit `y` at the start of the step (alpha).
    pub avg_y: f64,
    /// `h·e^{−h/τ}`: what `y` adds to `x` over one step (alpha).
    pub xy: f64,
    /// Increment of `y` per unit weight, `e/τ` (alpha).
    pub y_per_w: f64,
}

/// A population's receptor ports.
#[derive(Clone, Debug)]
pub struct Ports {
    /// Per port.
    pub ports: Vec<PortConst>,
}

/// Synaptic state of one block.
#[derive(Clone, Debug, Default)]
pub struct PortState {
    /// `x` per port (empty for delta ports).
    pub x: Vec<Vec<f32>>,
    /// `y` per port (empty unless alpha).
    pub y: Vec<Vec<f32>>,
}

impl Ports {
    /// Constants for step `h` \[ms\].
    pub fn new(specs: &[PortSpec], h: f64) -> Self {
        let ports = specs
            .iter()
            .map(|p| {
                let tau = p.tau_syn;
                let e_rev = match p.kind {
                    SynapseKind::Current => None,
                    SynapseKind::Conductance { e_rev } => Some(e_rev),
                };
                if p.kernel == Kernel::Delta {
                    return PortConst {
                        kernel: Kernel::Delta,
                        e_rev,
                        decay: 0.0,
                        avg_x: 0.0,
                        avg_y: 0.0,
                        xy: 0.0,
                        y_per_w: 0.0,
                    };
                }
                let decay = (-h / tau).exp();
                let one_minus = -(-h / tau).exp_m1();
                PortConst {
                    kernel: p.kernel,
                    e_rev,
                    decay,
                    avg_x: tau / h * one_minus,
                    avg_y: (tau * tau * one_minus - tau * h * decay) / h,
                    xy: h * decay,
                    y_per_w: std::f64::consts::E / tau,
                }
            })
            .collect();
        Self { ports }
    }

    /// Synaptic state of a block of `n` neurons, all zero.
    pub fn state(&self, n: usize) -> PortState {
        let mut s = PortState::default();
        for p in &self.ports {
            let has_x = p.kernel != Kernel::Delta;
            s.x.push(if has_x { vec![0.0; n] } else { Vec::new() });
            s.y.push(if p.kernel == Kernel::Alpha {
                vec![0.0; n]
            } else {
                Vec::new()
            });
        }
        s
    }

    /// Names of the state variables the ports add, in the order of [`Ports::var`]: `I_<port>`
    /// or `g_<port>` (exp, alpha) and then `dI_<port>` / `dg_<port>` (alpha; the rate of rise
    /// `y`, per ms).
    pub fn variables(&self, names: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for (p, name) in self.ports.iter().zip(names) {
            let sym = if p.e_rev.is_some() { "g" } else { "I" };
            if p.kernel != Kernel::Delta {
                out.push(format!("{sym}_{name}"));
            }
        }
        for (p, name) in self.ports.iter().zip(names) {
            let sym = if p.e_rev.is_some() { "g" } else { "I" };
            if p.kernel == Kernel::Alpha {
                out.push(format!("d{sym}_{name}"));
            }
        }
        out
    }

    /// The `(port, is_y)` of port variable `k`.
    fn locate(&self, k: usize) -> (usize, bool) {
        let xs: Vec<usize> = (0..self.ports.len())
            .filter(|&i| self.ports[i].kernel != Kernel::Delta)
            .collect();
        if k < xs.len() {
            return (xs[k], false);
        }
        let ys: Vec<usize> = (0..self.ports.len())
            .filter(|&i| self.ports[i].kernel == Kernel::Alpha)
            .collect();
        (ys[k - xs.len()], true)
    }

    /// Port variable `k` of [`Ports::variables`].
    pub fn var<'a>(&self, s: &'a PortState, k: usize) -> &'a [f32] {
        let (p, y) = self.locate(k);
        if y { &s.y[p] } else { &s.x[p] }
    }

    /// Mutable port variable `k`.
    pub fn var_mut<'a>(&self, s: &'a mut PortState, k: usize) -> &'a mut [f32] {
        let (p, y) = self.locate(k);
        if y { &mut s.y[p] } else { &mut s.x[p] }
    }

    /// Number of port variables.
    pub fn count(&self) -> usize {
        self.ports
            .iter()
            .map(|p| match p.kernel {
                Kernel::Delta => 0,
                Kernel::Exp => 1,
                Kernel::Alpha => 2,
            })
            .sum()
    }

    /// Neurons `lo..hi` of a block, one step: write the step-averaged synaptic drive
    /// `I_syn(v) = cur[i] − cond[i]·v` \[pA, v in mV\] and the delta-port jumps `jump[i]`
    /// \[mV\] (each slice has length `hi − lo` and is overwritten), then advance the port
    /// variables and add this step's inputs `inputs[k][lo..hi]`, clearing them.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &self,
        s: &mut PortState,
        inputs: &mut [&mut [f32]],
        lo: usize,
        hi: usize,
        cur: &mut [f32],
        cond: &mut [f32],
        jump: &mut [f32],
    ) {
        let m = hi - lo;
        let (cur, cond, jump) = (&mut cur[..m], &mut cond[..m], &mut jump[..m]);
        cur.fill(0.0);
        cond.fill(0.0);
        jump.fill(0.0);
        for (k, p) in self.ports.iter().enumerate() {
            let inp = &mut inputs[k][lo..hi];
            let e = p.e_rev.unwrap_or(0.0) as f32;
            let is_g = p.e_rev.is_some();
            let (decay, ax) = (p.decay as f32, p.avg_x as f32);
            match p.kernel {
                Kernel::Delta => {
                    for i in 0..m {
                        jump[i] += inp[i];
                        inp[i] = 0.0;
                    }
                }
                Kernel::Exp => {
                    let x = &mut s.x[k][lo..hi];
                    for i in 0..m {
                        let a = x[i] * ax;
                        if is_g {
                            cond[i] += a;
                            cur[i] += a * e;
                        } else {
                            cur[i] += a;
                        }
                        x[i] = x[i] * decay + inp[i];
                        inp[i] = 0.0;
                    }
                }
                Kernel::Alpha => {
                    let (ay, xy, ypw) = (p.avg_y as f32, p.xy as f32, p.y_per_w as f32);
                    let (xs, ys) = (&mut s.x[k][lo..hi], &mut s.y[k][lo..hi]);
                    for i in 0..m {
                        let (x, y) = (xs[i], ys[i]);
                        let a = x * ax + y * ay;
                        if is_g {
                            cond[i] += a;
                            cur[i] += a * e;
                        } else {
                            cur[i] += a;
                        }
                        xs[i] = x * decay + y * xy;
                        ys[i] = y * decay + inp[i] * ypw;
                        inp[i] = 0.0;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kernel: Kernel, kind: SynapseKind) -> PortSpec {
        PortSpec {
            name: "p".into(),
            kind,
            kernel,
            tau_syn: 3.0,
        }
    }

    /// An alpha port's step averages equal the exact integral of `w (t/τ) e^{1−t/τ}` over each
    /// step (1e-5 relative; f32 state), its peak is `w` at `t = τ`, and an exp port's averages
    /// equal the integral of `w e^{−t/τ}`.
    #[test]
    fn step_averages_are_exact_integrals() {
        let h = 0.1;
        let tau = 3.0;
        let w = 7.0f64;
        let alpha = |t: f64| w * t / tau * (1.0 - t / tau).exp();
        // ∫ (t/τ) e^{1−t/τ} dt = −e^{1−t/τ} (t + τ)
        let alpha_int = |t: f64| -w * (1.0 - t / tau).exp() * (t + tau);
        let exp_int = |t: f64| -w * tau * (-t / tau).exp();
        for (kernel, integral) in [
            (Kernel::Alpha, &alpha_int as &dyn Fn(f64) -> f64),
            (Kernel::Exp, &exp_int),
        ] {
            let ports = Ports::new(&[spec(kernel, SynapseKind::Current)], h);
            let mut s = ports.state(1);
            let mut inp = [w as f32];
            let (mut cur, mut cond, mut jump) = ([0.0f32], [0.0f32], [0.0f32]);
            // The spike arrives at the end of step 0: the kernel starts at t = 0 = end of step 0.
            ports.step(
                &mut s,
                &mut [&mut inp[..]],
                0,
                1,
                &mut cur,
                &mut cond,
                &mut jump,
            );
            let mut peak: f64 = 0.0;
            for k in 0..400 {
                ports.step(
                    &mut s,
                    &mut [&mut inp[..]],
                    0,
                    1,
                    &mut cur,
                    &mut cond,
                    &mut jump,
                );
                let (t0, t1) = (k as f64 * h, (k + 1) as f64 * h);
                let want = (integral(t1) - integral(t0)) / h;
                assert!(
                    (f64::from(cur[0]) - want).abs() <= 1e-5 * w,
                    "{kernel:?} step {k}: {} vs {want}",
                    cur[0]
                );
                if kernel == Kernel::Alpha {
                    peak = peak.max(f64::from(s.x[0][0]));
                    let want_x = alpha(t1);
                    assert!((f64::from(s.x[0][0]) - want_x).abs() <= 1e-5 * w);
                }
            }
            if kernel == Kernel::Alpha {
                assert!((peak - w).abs() < 1e-4 * w, "alpha peak {peak}");
            }
        }
    }

    /// Conductance ports give `cond = ḡ` and `cur = ḡ·E_rev`; delta ports give jumps; inputs
    /// are cleared.
    #[test]
    fn conductance_and_delta() {
        let ports = Ports::new(
            &[
                spec(Kernel::Exp, SynapseKind::Conductance { e_rev: -80.0 }),
                spec(Kernel::Delta, SynapseKind::Current),
            ],
            0.1,
        );
        assert_eq!(ports.variables(&["a".into(), "b".into()]), vec!["g_a"]);
        let mut s = ports.state(2);
        s.x[0][1] = 2.0;
        let (mut i0, mut i1) = ([0.0f32, 0.0], [0.0f32, 1.5]);
        let (mut cur, mut cond, mut jump) = ([0.0f32; 2], [0.0f32; 2], [0.0f32; 2]);
        ports.step(
            &mut s,
            &mut [&mut i0[..], &mut i1[..]],
            0,
            2,
            &mut cur,
            &mut cond,
            &mut jump,
        );
        let g = 2.0 * ports.ports[0].avg_x as f32;
        assert_eq!(cond, [0.0, g]);
        assert_eq!(cur, [0.0, g * -80.0]);
        assert_eq!(jump, [0.0, 1.5]);
        assert_eq!(i1, [0.0, 0.0]);
    }
}
