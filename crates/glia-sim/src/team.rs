//! The multi-threaded step loop: one persistent team of threads for a whole run.
//!
//! A step has two parallel phases (neuron update, spike delivery) and short serial work
//! between them (gathering spikes, short-term plasticity, plasticity, monitors). Starting a
//! parallel phase through the thread pool every 0.1 ms step wakes sleeping threads, which costs
//! about 0.5 ms per wake-up on the project's virtual machines: more than the work of a step of
//! a 100,000-neuron network, so two threads were slower than one. Instead, every thread of the
//! team enters the step loop once per run (scoped threads) and the phases are
//! separated by a barrier that spins before it sleeps ([`SpinBarrier`]); thread 0 (the leader) does the serial
//! work while the others wait at the barrier.
//!
//! Thread `j` owns the same part of every population in both phases: the `j`-th of at most
//! `threads` contiguous runs of whole blocks ([`Part`]). It updates those neurons and is the
//! only thread that writes their ring-buffer entries, adding the inputs of every incoming
//! static projection in the serial order (projection, spike, synapse): results are
//! bit-identical for any thread count.
//!
//! The threads share the network through a raw pointer. This is sound because (1) the leader
//! touches the network only between two barriers at which all other threads wait, (2) in a
//! parallel phase every thread reads the populations, projections and spikes and writes only
//! its own blocks and its own neurons' ring entries (disjoint memory), and (3) the barrier's
//! release/acquire ordering makes each phase's writes visible to the next phase. Neither the
//! blocks nor the rings are reallocated during a run, so pointers taken at its start stay valid.
//!
//! A distributed run ([`crate::distributed`]) cannot use [`run`]'s loop: a rank updates its
//! neurons for a whole exchange interval before it exchanges spikes and delivers them. It uses
//! [`Team`], a fork-join team of the same kind (persistent threads, [`SpinBarrier`]) whose
//! phases the rank's loop starts one by one, with the same parts and the same update and
//! delivery routines.

#![allow(unsafe_code)] // shared-memory team: see the soundness argument above

use crate::network::{Network, Progress, STACK_PORTS, deliver_range, update_stripe};
use crate::{BLOCK, Delays};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a waiting thread spins before it sleeps: long enough to cover the imbalance of a
/// phase on an idle machine (a woken thread needs about 0.5 ms on the project's virtual
/// machines), short enough not to burn the cores of a loaded machine.
const SPIN: Duration = Duration::from_micros(100);

/// A reusable barrier for a fixed number of threads that first waits by spinning, so that on
/// an idle machine a thread is released within about a microsecond, and sleeps on a condition
/// variable after [`SPIN`] (when the machine is loaded, or the other threads still have long
/// work).
pub(crate) struct SpinBarrier {
    n: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    poisoned: AtomicBool,
}

impl SpinBarrier {
    pub(crate) fn new(n: usize) -> Self {
        SpinBarrier {
            n,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            poisoned: AtomicBool::new(false),
        }
    }

    /// Wait until all `n` threads have called `wait` (for this generation).
    ///
    /// # Panics
    /// When another thread of the team panicked (the barrier is poisoned), so that the team
    /// unwinds instead of waiting forever.
    pub(crate) fn wait(&self) {
        let g = self.generation.load(Ordering::SeqCst);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::SeqCst);
            if self.sleepers.load(Ordering::SeqCst) > 0 {
                let _l = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                self.wake.notify_all();
            }
            return;
        }
        let t0 = Instant::now();
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == g {
            self.check_poison();
            spins += 1;
            if spins.is_multiple_of(64) && t0.elapsed() > SPIN {
                let mut l = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                self.sleepers.fetch_add(1, Ordering::SeqCst);
                while self.generation.load(Ordering::SeqCst) == g {
                    self.check_poison();
                    l = self
                        .wake
                        .wait_timeout(l, Duration::from_millis(5))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                self.sleepers.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            std::hint::spin_loop();
        }
    }

    fn check_poison(&self) {
        if self.poisoned.load(Ordering::Relaxed) {
            panic!("another thread of the simulation panicked");
        }
    }
}

/// Poisons the barrier when its thread unwinds.
struct PoisonOnPanic<'a>(&'a SpinBarrier);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poisoned.store(true, Ordering::Relaxed);
        }
    }
}

/// One thread's share of one population: blocks `blocks` (indices into the network's list of
/// blocks) holding neurons `lo..hi` of the population.
#[derive(Clone, Debug)]
pub(crate) struct Part {
    pub pop: usize,
    pub blocks: Range<usize>,
    pub lo: usize,
    pub hi: usize,
}

/// The parts of thread `j` of `threads`: the `j`-th of at most `threads` runs of whole blocks
/// of each population (a population with fewer blocks than threads gives the last threads
/// nothing).
pub(crate) fn parts(net: &Network, threads: usize, j: usize) -> Vec<Part> {
    let mut out = Vec::new();
    for (pi, p) in net.pops.iter().enumerate() {
        // The blocks this process updates (all but on one rank of a distributed run).
        let own = net.layout.owned[pi].clone();
        let nb = own.len();
        let k = threads.clamp(1, nb.max(1));
        if j >= k || nb == 0 {
            continue;
        }
        let (first, last) = (own.start + nb * j / k, own.start + nb * (j + 1) / k);
        let blocks = p.blocks.start + first..p.blocks.start + last;
        let hi = net.blocks[blocks.clone()]
            .last()
            .map_or(first * BLOCK, |b| b.start + b.len);
        debug_assert!(last * BLOCK <= p.padded || p.ports.is_empty());
        out.push(Part {
            pop: pi,
            blocks,
            lo: first * BLOCK,
            hi,
        });
    }
    out
}

/// Steps per measurement window of [`Tuner`].
const WINDOW: u64 = 250;

/// Chooses, window by window, whether the team runs the steps or the leader runs them alone.
///
/// On a machine whose cores are taken by other processes, threads that meet twice per 0.1 ms
/// step spend most of their time waiting for each other to be scheduled, and one thread is
/// faster than two. The leader times one window of [`WINDOW`] steps with the team and one
/// alone, runs the faster way for the next [`EXPLOIT`] windows, then measures both again.
/// Both ways compute exactly the same numbers (each target's inputs are summed in the same
/// order), so the choice affects only the speed, never the results.
struct Tuner {
    /// Steps done in the current team window.
    steps: u64,
    /// Start of the current window.
    t0: Instant,
    /// Seconds per step measured in the last team and solo windows.
    team_s: f64,
    solo_s: f64,
    /// Windows left before measuring again; while measuring (0), the next mode to time.
    left: u32,
}

/// Windows run the faster way between two measurements.
const EXPLOIT: u32 = 16;

impl Tuner {
    fn new() -> Self {
        Tuner {
            steps: 0,
            t0: Instant::now(),
            team_s: 0.0,
            solo_s: f64::INFINITY,
            left: 0,
        }
    }

    /// Count a team step; whether the window is complete.
    fn step_done(&mut self) -> bool {
        self.steps += 1;
        self.steps == WINDOW
    }

    /// A window (team or `solo`) is complete: whether the next window runs solo.
    fn window_done(&mut self, solo: bool) -> bool {
        let per_step = self.t0.elapsed().as_secs_f64() / WINDOW as f64;
        self.steps = 0;
        self.t0 = Instant::now();
        if self.left > 0 {
            self.left -= 1;
            // After the last window of this choice, time the team again.
            return solo && self.left > 0;
        }
        if solo {
            // Both measured (team first): exploit the faster.
            self.solo_s = per_step;
            self.left = EXPLOIT;
            self.solo_s < self.team_s
        } else {
            self.team_s = per_step;
            true
        }
    }
}

/// Raw pointers to the network and the caller's callbacks, shared by the team.
struct Shared<'a> {
    net: *mut Network,
    blocks: *mut crate::network::Block,
    rings: Vec<*mut f32>,
    progress: *mut (dyn FnMut(Progress) -> bool + Send + 'a),
    check: *mut (dyn FnMut(&mut Network) -> bool + Send + 'a),
    barrier: SpinBarrier,
    stop: AtomicBool,
    /// The leader runs the next window alone.
    solo: AtomicBool,
    done: AtomicUsize,
    complete: AtomicBool,
}

// SAFETY: see the module documentation: the pointers are used by one thread at a time
// (leader) or on disjoint memory (parallel phases), ordered by the barrier.
unsafe impl Sync for Shared<'_> {}
unsafe impl Send for Shared<'_> {}

impl Shared<'_> {
    /// After a step: count it, call `check` and `progress` as [`Network::run_with_check`]
    /// does; whether the run stops. Only the leader calls this, between barriers.
    fn finish_step(&self, net: &mut Network, steps: u64, check_every: u64, every: u64) -> bool {
        let done = self.done.load(Ordering::Relaxed) as u64 + 1;
        self.done.store(done as usize, Ordering::Relaxed);
        let mut stop = done == steps;
        // SAFETY: the callbacks are used by the leader only (module documentation).
        if check_every > 0
            && (done.is_multiple_of(check_every) || done == steps)
            && !unsafe { (*self.check)(net) }
        {
            self.complete.store(false, Ordering::Relaxed);
            stop = true;
        } else if done.is_multiple_of(every)
            && !unsafe { (*self.progress)(Progress { done, total: steps }) }
        {
            self.complete.store(done == steps, Ordering::Relaxed);
            stop = true;
        }
        stop
    }
}

/// Run `steps` steps of `net` on `threads` threads (the caller's and `threads − 1` started).
/// `check` runs after every `check_every`-th step and after the last (never when 0),
/// `progress` every `every` steps; either returning `false` stops the run as
/// [`Network::run_with_check`] documents. Returns (steps done, complete).
pub(crate) fn run(
    net: &mut Network,
    threads: usize,
    steps: u64,
    check_every: u64,
    every: u64,
    progress: &mut (dyn FnMut(Progress) -> bool + Send),
    check: &mut (dyn FnMut(&mut Network) -> bool + Send),
) -> (u64, bool) {
    if steps == 0 {
        return (0, true);
    }
    let parts: Vec<Vec<Part>> = (0..threads).map(|j| parts(net, threads, j)).collect();
    // Per target population, its static projections (delivered in parallel).
    let mut incoming = vec![Vec::new(); net.pops.len()];
    for (k, pr) in net.projs.iter().enumerate() {
        if !pr.plastic {
            incoming[pr.target].push(k);
        }
    }
    net.apply_currents(net.step);
    let shared = Shared {
        blocks: net.blocks.as_mut_ptr(),
        rings: net.rings.iter_mut().map(|r| r.as_mut_ptr()).collect(),
        net: net as *mut Network,
        progress: progress as *mut _,
        check: check as *mut _,
        barrier: SpinBarrier::new(threads),
        stop: AtomicBool::new(false),
        solo: AtomicBool::new(false),
        done: AtomicUsize::new(0),
        complete: AtomicBool::new(true),
    };
    // Short-term plasticity needs every spike's factor before the delivery: a serial phase
    // between update and delivery. Without it, the threads read the spikes from the blocks and
    // the leader gathers them after the delivery (two barriers per step instead of three).
    let stp = net.projs.iter().any(|p| p.stp.is_some());
    // The leader's choice between the team and running alone (see `Tuner`).
    let tuner = Mutex::new(Tuner::new());
    let finish_step = |net: &mut Network| shared.finish_step(net, steps, check_every, every);
    let body = |me: usize| {
        let sh = &shared;
        let _guard = PoisonOnPanic(&sh.barrier);
        let mine = &parts[me];
        loop {
            sh.barrier.wait();
            if sh.stop.load(Ordering::Relaxed) {
                break;
            }
            if sh.solo.load(Ordering::Relaxed) {
                // Every thread has read `stop` and `solo` before the leader may change them.
                sh.barrier.wait();
                // The leader runs a window of steps alone (the others wait at the barrier,
                // asleep after a moment): the same arithmetic per target as the team's.
                if me == 0 {
                    let net = unsafe { &mut *sh.net };
                    let mut tuner = tuner.lock().unwrap_or_else(|e| e.into_inner());
                    let mut stop = false;
                    for _ in 0..WINDOW {
                        net.step_once();
                        stop = finish_step(net);
                        if stop {
                            break;
                        }
                    }
                    if stop {
                        sh.stop.store(true, Ordering::Relaxed);
                    } else {
                        sh.solo.store(tuner.window_done(true), Ordering::Relaxed);
                        net.apply_currents(net.step);
                    }
                }
                continue;
            }
            // SAFETY (all blocks below): module documentation.
            let s = unsafe { (*sh.net).step };
            for part in mine {
                unsafe { update_part(&*sh.net, sh.blocks, sh.rings[part.pop], part, s) };
            }
            sh.barrier.wait();
            if stp {
                if me == 0 {
                    let net = unsafe { &mut *sh.net };
                    net.gather_spikes();
                    net.before_delivery(s);
                }
                sh.barrier.wait();
            }
            for part in mine {
                let (net, ring) = (unsafe { &*sh.net }, sh.rings[part.pop]);
                unsafe { deliver_part(net, ring, part, &incoming[part.pop], s, stp) };
            }
            sh.barrier.wait();
            if me == 0 {
                let net = unsafe { &mut *sh.net };
                if !stp {
                    net.gather_spikes();
                    net.before_delivery(s);
                }
                net.record_state(s);
                net.after_delivery(s);
                net.step += 1;
                if finish_step(net) {
                    sh.stop.store(true, Ordering::Relaxed);
                } else {
                    let mut tuner = tuner.lock().unwrap_or_else(|e| e.into_inner());
                    if tuner.step_done() {
                        sh.solo.store(tuner.window_done(false), Ordering::Relaxed);
                    }
                    net.apply_currents(net.step);
                }
            }
        }
    };
    // The calling thread is the leader; the others are started for this run (a pool's
    // broadcast could leave a sleeping worker without its job, which hangs the team).
    std::thread::scope(|scope| {
        let body = &body;
        for me in 1..threads {
            scope.spawn(move || body(me));
        }
        body(0);
    });
    (
        shared.done.load(Ordering::Relaxed) as u64,
        shared.complete.load(Ordering::Relaxed),
    )
}

/// Update the neurons of `part` for step `s`.
///
/// # Safety
/// `blocks` and `ring` point to the network's blocks and to the ring of `part.pop`; no other
/// thread touches `part`'s blocks or its neurons' ring entries meanwhile.
unsafe fn update_part(
    net: &Network,
    blocks: *mut crate::network::Block,
    ring: *mut f32,
    part: &Part,
    s: u64,
) {
    let p = &net.pops[part.pop];
    // SAFETY: the caller's contract; `part.blocks` lies inside the network's blocks.
    let bl =
        unsafe { std::slice::from_raw_parts_mut(blocks.add(part.blocks.start), part.blocks.len()) };
    let np = p.ports.len();
    let slot = (s % p.slots as u64) as usize;
    let n = part.blocks.len() * BLOCK;
    // SAFETY: rows `(slot, port)` of the ring, cut to the part's neurons (lo + n ≤ padded).
    let row = |port: usize| unsafe {
        std::slice::from_raw_parts_mut(ring.add((slot * np + port) * p.padded + part.lo), n)
    };
    if np <= STACK_PORTS {
        let mut rows: [&mut [f32]; STACK_PORTS] = Default::default();
        for (port, r) in rows.iter_mut().enumerate().take(np) {
            *r = row(port);
        }
        update_stripe(p, bl, &mut rows[..np], part.lo, s, net.seed);
    } else {
        let mut rows: Vec<&mut [f32]> = (0..np).map(row).collect();
        update_stripe(p, bl, &mut rows, part.lo, s, net.seed);
    }
}

/// Deliver this step's spikes of the projections `incoming` into the neurons of `part`: each
/// row's part that targets `part.lo..part.hi`, found by binary search (rows are sorted by
/// target).
///
/// # Safety
/// `ring` points to the ring of `part.pop`; no other thread touches its entries of the
/// neurons `part.lo..part.hi` meanwhile.
unsafe fn deliver_part(
    net: &Network,
    ring: *mut f32,
    part: &Part,
    incoming: &[usize],
    s: u64,
    gathered: bool,
) {
    let tp = &net.pops[part.pop];
    let (np, slots, padded) = (tp.ports.len(), tp.slots, tp.padded);
    let (lo, hi) = (part.lo, part.hi);
    for &pi in incoming {
        let proj = &net.projs[pi];
        let csr = &proj.csr;
        let sh = match csr.delays {
            Delays::Packed { bits, .. } => bits,
            _ => 0,
        };
        let (lo_w, hi_w) = ((lo as u64) << sh, (hi as u64) << sh);
        let deliver = |k: usize, i: u32| {
            let f = proj.stp.as_ref().map_or(1.0, |st| st.factors[k]);
            let (a, b) = (
                csr.row_ptr[i as usize] as usize,
                csr.row_ptr[i as usize + 1] as usize,
            );
            let row = &csr.targets[a..b];
            let from = a + row.partition_point(|&t| u64::from(t) < lo_w);
            let to = a + row.partition_point(|&t| u64::from(t) < hi_w);
            if from < to {
                deliver_range(csr, from..to, f, s, slots, np, proj.port, &mut |r, t, w| {
                    let t = t as usize;
                    debug_assert!(t >= lo && t < hi && r < slots * np);
                    // SAFETY: `t` is one of this part's neurons (the row segment was cut to
                    // them) and `r` a row of the ring.
                    unsafe { *ring.add(r * padded + t) += w };
                });
            }
        };
        // This step's spikes of the source in neuron order: gathered by the leader, or still
        // in the source's blocks (the same order).
        if gathered {
            for (k, &i) in net.spikes[proj.source].iter().enumerate() {
                deliver(k, i);
            }
        } else {
            let mut k = 0;
            for b in &net.blocks[net.pops[proj.source].blocks.clone()] {
                for &i in &b.spikes {
                    deliver(k, i);
                    k += 1;
                }
            }
        }
    }
}

/// Which thread does what in a fork-join [`Team`]: per thread its [`Part`]s, per target
/// population its static projections.
pub(crate) struct Plan {
    parts: Vec<Vec<Part>>,
    incoming: Vec<Vec<usize>>,
}

impl Plan {
    pub(crate) fn new(net: &Network, threads: usize) -> Self {
        let threads = threads.max(1);
        let mut incoming = vec![Vec::new(); net.pops.len()];
        for (k, pr) in net.projs.iter().enumerate() {
            if !pr.plastic {
                incoming[pr.target].push(k);
            }
        }
        Plan {
            parts: (0..threads).map(|j| parts(net, threads, j)).collect(),
            incoming,
        }
    }
}

/// A job of a fork-join phase, its lifetime erased (see [`Team::each`]).
type Job = *const (dyn Fn(usize) + Sync + 'static);

/// State shared by a fork-join team.
struct ForkShared {
    barrier: SpinBarrier,
    stop: AtomicBool,
    job: std::cell::UnsafeCell<Option<Job>>,
}

// SAFETY: `job` is written by the leader only while every other thread waits at the barrier
// and read by the others only between the two barriers of a phase (see `Team::each`).
unsafe impl Sync for ForkShared {}

/// A fork-join team of persistent threads for a step loop whose serial part the caller drives
/// (the distributed interval loop, [`crate::distributed`]): [`Team::update_phase`] and
/// [`Team::exchange_phase`] compute exactly what [`Network::update_phase`] and
/// [`Network::exchange_phase`] do, with the neuron update and the delivery split over the
/// threads as in [`run`] (thread `j` owns the same neurons in both). Each phase costs two
/// barriers; the threads spin, then sleep, between phases (e.g. during the spike exchange).
pub(crate) struct Team<'t> {
    sh: &'t ForkShared,
    plan: &'t Plan,
}

/// Run `f` with a team of `plan`'s threads (the caller's thread is thread 0; the others are
/// started for the call and end when `f` returns).
pub(crate) fn with_team<R>(plan: &Plan, f: impl FnOnce(&Team<'_>) -> R) -> R {
    let threads = plan.parts.len();
    let sh = ForkShared {
        barrier: SpinBarrier::new(threads),
        stop: AtomicBool::new(false),
        job: std::cell::UnsafeCell::new(None),
    };
    std::thread::scope(|scope| {
        let sh = &sh;
        for me in 1..threads {
            scope.spawn(move || {
                let _guard = PoisonOnPanic(&sh.barrier);
                loop {
                    sh.barrier.wait();
                    if sh.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    // SAFETY: set by the leader before the barrier; the job outlives the
                    // phase (`Team::each` waits at the second barrier before returning).
                    let job = unsafe { (*sh.job.get()).expect("team job set") };
                    unsafe { (*job)(me) };
                    sh.barrier.wait();
                }
            });
        }
        let _guard = PoisonOnPanic(&sh.barrier);
        let out = f(&Team { sh, plan });
        sh.stop.store(true, Ordering::Relaxed);
        sh.barrier.wait();
        out
    })
}

/// Raw pointers into a network for the threads of one phase (see the module documentation).
struct Ptrs {
    net: *const Network,
    blocks: *mut crate::network::Block,
    rings: Vec<*mut f32>,
}

// SAFETY: module documentation: disjoint writes, ordered by the barrier.
unsafe impl Sync for Ptrs {}

impl Ptrs {
    fn of(net: &mut Network) -> Self {
        Ptrs {
            blocks: net.blocks.as_mut_ptr(),
            rings: net.rings.iter_mut().map(|r| r.as_mut_ptr()).collect(),
            net: net as *const Network,
        }
    }
}

impl Team<'_> {
    /// Run `job(j)` on every thread `j` of the team; returns when all are done.
    fn each(&self, job: &(dyn Fn(usize) + Sync)) {
        // SAFETY: the pointer is only used until the second barrier below, while `job` lives.
        let erased: Job = unsafe {
            std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), Job>(
                job as *const (dyn Fn(usize) + Sync),
            )
        };
        unsafe { *self.sh.job.get() = Some(erased) };
        self.sh.barrier.wait();
        job(0);
        self.sh.barrier.wait();
    }

    /// [`Network::update_phase`] on the team.
    pub(crate) fn update_phase(&self, net: &mut Network, s: u64) {
        net.apply_currents(s);
        let p = Ptrs::of(net);
        self.each(&|j| {
            let p = &p; // the whole struct (Sync), not its fields
            for part in &self.plan.parts[j] {
                // SAFETY: thread `j` alone updates `part` (module documentation).
                unsafe { update_part(&*p.net, p.blocks, p.rings[part.pop], part, s) };
            }
        });
        net.gather_spikes();
    }

    /// [`Network::exchange_phase`] on the team, for the spikes in [`Network::spikes`].
    pub(crate) fn exchange_phase(&self, net: &mut Network, s: u64) {
        net.before_delivery(s);
        let p = Ptrs::of(net);
        self.each(&|j| {
            let p = &p; // the whole struct (Sync), not its fields
            for part in &self.plan.parts[j] {
                let incoming = &self.plan.incoming[part.pop];
                // SAFETY: thread `j` alone writes `part`'s ring entries.
                unsafe { deliver_part(&*p.net, p.rings[part.pop], part, incoming, s, true) };
            }
        });
        net.after_delivery(s);
    }
}
