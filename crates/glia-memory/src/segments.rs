//! Dendritic segments: the synapses of a population of cells, grouped into segments.
//!
//! Each cell has any number of dendritic segments; each segment has synapses from presynaptic
//! cells with a *permanence* in [0, 1]. A synapse is *connected* when its permanence is at least
//! `connected` (0.5 by default). Given the set of active presynaptic cells, a segment's
//!
//! - active connected count is the number of connected synapses from active cells: the segment
//!   fires an NMDA spike (is *active*) when it reaches the activation threshold θ, and a cell is
//!   *predicted* (depolarised) when any of its segments is active;
//! - active potential count is the number of synapses of any permanence from active cells: the
//!   segment *matches* when it reaches `min_threshold`, and learning reinforces and grows the best
//!   matching segment (Hawkins & Ahmad 2016).
//!
//! Storage follows htm.core's `Connections`: segments and synapses in flat arenas with free
//! lists, a per-segment list of synapse ids, and a per-presynaptic-cell list of the synapses it
//! makes, so that [`Connections::compute_activity`] touches only the synapses of active cells
//! (work ∝ active cells × their fan-out) and allocates nothing once its buffers have grown.

use crate::error::{MemoryError, Result};
use glia_core::rng::CounterRng;

/// Permanences below this are treated as zero (and their synapses destroyed by learning); the
/// connected test is `permanence >= connected − EPSILON`, as in htm.core.
pub const EPSILON: f32 = 1e-5;

/// One synapse (a handle into the arena of [`Connections`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Synapse {
    /// Presynaptic cell.
    pub presyn: u32,
    /// Permanence in [0, 1].
    pub permanence: f32,
    /// The segment it belongs to.
    pub segment: u32,
}

#[derive(Clone, Debug, Default)]
struct SegmentData {
    cell: u32,
    synapses: Vec<u32>,
    last_used: u64,
    alive: bool,
}

/// The dendritic segments and synapses of `num_cells` cells.
#[derive(Clone, Debug)]
pub struct Connections {
    num_cells: u32,
    connected: f32,
    segments: Vec<SegmentData>,
    free_segments: Vec<u32>,
    cell_segments: Vec<Vec<u32>>,
    synapses: Vec<Synapse>,
    free_synapses: Vec<u32>,
    /// Synapse ids made by each presynaptic cell.
    presyn: Vec<Vec<u32>>,
    scratch: Vec<u32>,
}

impl Connections {
    /// `num_cells` cells without segments; synapses are connected at permanence `connected`.
    ///
    /// Errors: `num_cells == 0`, `connected` outside (0, 1].
    pub fn new(num_cells: u32, connected: f32) -> Result<Self> {
        if num_cells == 0 {
            return Err(MemoryError::param("num_cells", "must be > 0", num_cells));
        }
        if !(connected > 0.0 && connected <= 1.0) {
            return Err(MemoryError::param(
                "connected_permanence",
                "must be in (0, 1]",
                connected,
            ));
        }
        Ok(Self {
            num_cells,
            connected,
            segments: Vec::new(),
            free_segments: Vec::new(),
            cell_segments: vec![Vec::new(); num_cells as usize],
            synapses: Vec::new(),
            free_synapses: Vec::new(),
            presyn: vec![Vec::new(); num_cells as usize],
            scratch: Vec::new(),
        })
    }

    /// Number of cells.
    pub fn num_cells(&self) -> u32 {
        self.num_cells
    }

    /// Upper bound (exclusive) of segment ids: the length of the arrays filled by
    /// [`Connections::compute_activity`].
    pub fn segment_capacity(&self) -> usize {
        self.segments.len()
    }

    /// Number of live segments.
    pub fn num_segments(&self) -> usize {
        self.segments.len() - self.free_segments.len()
    }

    /// Number of live synapses.
    pub fn num_synapses(&self) -> usize {
        self.synapses.len() - self.free_synapses.len()
    }

    /// The segments of `cell`, in creation order.
    pub fn segments_of(&self, cell: u32) -> &[u32] {
        &self.cell_segments[cell as usize]
    }

    /// The cell that owns `segment`.
    ///
    /// The accessors taking a segment id (`cell_of`, `synapses_of`, `segment_len`, `last_used`,
    /// `touch`) panic for an id at or above [`Connections::segment_capacity`], like slice
    /// indexing; the mutators below return an error instead.
    #[inline]
    pub fn cell_of(&self, segment: u32) -> u32 {
        self.segments[segment as usize].cell
    }

    /// The synapses of `segment`.
    pub fn synapses_of(&self, segment: u32) -> impl Iterator<Item = Synapse> + '_ {
        self.segments[segment as usize]
            .synapses
            .iter()
            .map(|&s| self.synapses[s as usize])
    }

    /// Number of synapses on `segment`.
    pub fn segment_len(&self, segment: u32) -> usize {
        self.segments[segment as usize].synapses.len()
    }

    /// When `segment` was last active (as set by [`Connections::touch`]).
    pub fn last_used(&self, segment: u32) -> u64 {
        self.segments[segment as usize].last_used
    }

    /// Marks `segment` as used at `iteration` (least-recently-used segments are replaced first).
    pub fn touch(&mut self, segment: u32, iteration: u64) {
        self.segments[segment as usize].last_used = iteration;
    }

    /// A new empty segment on `cell`. Errors: `cell` out of range.
    pub fn create_segment(&mut self, cell: u32, iteration: u64) -> Result<u32> {
        if cell >= self.num_cells {
            return Err(MemoryError::IndexOutOfRange {
                index: cell.into(),
                size: self.num_cells,
            });
        }
        let data = SegmentData {
            cell,
            synapses: Vec::new(),
            last_used: iteration,
            alive: true,
        };
        let id = if let Some(id) = self.free_segments.pop() {
            self.segments[id as usize] = data;
            id
        } else {
            self.segments.push(data);
            (self.segments.len() - 1) as u32
        };
        self.cell_segments[cell as usize].push(id);
        Ok(id)
    }

    fn check_segment(&self, segment: u32) -> Result<()> {
        match self.segments.get(segment as usize) {
            Some(s) if s.alive => Ok(()),
            _ => Err(MemoryError::param(
                "segment",
                "must be a live segment id",
                segment,
            )),
        }
    }

    /// Destroys `segment` and its synapses. Errors: not a live segment.
    pub fn destroy_segment(&mut self, segment: u32) -> Result<()> {
        self.check_segment(segment)?;
        self.destroy_segment_unchecked(segment);
        Ok(())
    }

    fn destroy_segment_unchecked(&mut self, segment: u32) {
        let seg = &mut self.segments[segment as usize];
        debug_assert!(seg.alive);
        let syns = std::mem::take(&mut seg.synapses);
        seg.alive = false;
        let cell = seg.cell;
        for s in syns {
            self.unlink_presyn(s);
            self.free_synapses.push(s);
        }
        let list = &mut self.cell_segments[cell as usize];
        if let Some(p) = list.iter().position(|&x| x == segment) {
            list.remove(p);
        }
        self.free_segments.push(segment);
    }

    fn unlink_presyn(&mut self, syn: u32) {
        let pre = self.synapses[syn as usize].presyn as usize;
        let list = &mut self.presyn[pre];
        if let Some(p) = list.iter().position(|&x| x == syn) {
            list.swap_remove(p);
        }
    }

    /// A synapse from `presyn` onto `segment` with `permanence`.
    /// Errors: not a live segment, `presyn` out of range, permanence outside [0, 1].
    pub fn create_synapse(&mut self, segment: u32, presyn: u32, permanence: f32) -> Result<u32> {
        self.check_segment(segment)?;
        if presyn >= self.num_cells {
            return Err(MemoryError::IndexOutOfRange {
                index: presyn.into(),
                size: self.num_cells,
            });
        }
        if !(0.0..=1.0).contains(&permanence) {
            return Err(MemoryError::param(
                "permanence",
                "must be in [0, 1]",
                permanence,
            ));
        }
        Ok(self.create_synapse_unchecked(segment, presyn, permanence))
    }

    fn create_synapse_unchecked(&mut self, segment: u32, presyn: u32, permanence: f32) -> u32 {
        let data = Synapse {
            presyn,
            permanence,
            segment,
        };
        let id = if let Some(id) = self.free_synapses.pop() {
            self.synapses[id as usize] = data;
            id
        } else {
            self.synapses.push(data);
            (self.synapses.len() - 1) as u32
        };
        self.segments[segment as usize].synapses.push(id);
        self.presyn[presyn as usize].push(id);
        id
    }

    fn destroy_synapse_at(&mut self, segment: u32, pos: usize) {
        let syn = self.segments[segment as usize].synapses.swap_remove(pos);
        self.unlink_presyn(syn);
        self.free_synapses.push(syn);
    }

    /// For every segment id, the number of connected synapses (`active_connected`) and of all
    /// synapses (`active_potential`) whose presynaptic cell is in `active_cells`.
    ///
    /// The vectors are resized to [`Connections::segment_capacity`] and overwritten. Cells out of
    /// range are an error; duplicates count twice.
    pub fn compute_activity(
        &self,
        active_cells: &[u32],
        active_connected: &mut Vec<u16>,
        active_potential: &mut Vec<u16>,
    ) -> Result<()> {
        let ns = self.segments.len();
        active_connected.clear();
        active_connected.resize(ns, 0);
        active_potential.clear();
        active_potential.resize(ns, 0);
        let thr = self.connected - EPSILON;
        for &c in active_cells {
            let Some(list) = self.presyn.get(c as usize) else {
                return Err(MemoryError::IndexOutOfRange {
                    index: c.into(),
                    size: self.num_cells,
                });
            };
            for &s in list {
                let syn = &self.synapses[s as usize];
                let seg = syn.segment as usize;
                active_potential[seg] += 1;
                active_connected[seg] += u16::from(syn.permanence >= thr);
            }
        }
        Ok(())
    }

    /// Cells with at least one segment whose count in `active_connected` (from
    /// [`Connections::compute_activity`]) reaches the NMDA threshold `theta`: the predicted
    /// (depolarised) cells, sorted and unique.
    pub fn predicted_cells(&self, active_connected: &[u16], theta: u16) -> Vec<u32> {
        let mut cells: Vec<u32> = active_connected
            .iter()
            .enumerate()
            .filter(|&(s, &k)| k >= theta && self.segments[s].alive)
            .map(|(s, _)| self.segments[s].cell)
            .collect();
        cells.sort_unstable();
        cells.dedup();
        cells
    }

    /// The segment of `cell` with the most active potential synapses (first on ties), if it
    /// has at least `min_threshold`: the segment that learns when the cell should have been
    /// predicted. `None` for a cell out of range.
    pub fn best_matching_segment(
        &self,
        cell: u32,
        active_potential: &[u16],
        min_threshold: u16,
    ) -> Option<u32> {
        let segs = self.cell_segments.get(cell as usize)?;
        let count = |s: u32| active_potential.get(s as usize).copied().unwrap_or(0);
        segs.iter()
            .copied()
            .filter(|&s| count(s) >= min_threshold)
            .reduce(|b, s| if count(s) > count(b) { s } else { b })
    }

    /// Hebbian update of `segment`: permanences of synapses from `prev_active` (sorted) grow by
    /// `inc`, the others shrink by `dec`; synapses that reach zero are destroyed, and the segment
    /// too when it has none left. Returns whether the segment still exists.
    ///
    /// Errors: not a live segment, `prev_active` not sorted ascending.
    pub fn adapt_segment(
        &mut self,
        segment: u32,
        prev_active: &[u32],
        inc: f32,
        dec: f32,
    ) -> Result<bool> {
        self.check_segment(segment)?;
        if !prev_active.is_sorted() {
            return Err(MemoryError::param(
                "prev_active",
                "must be sorted ascending",
                "unsorted",
            ));
        }
        Ok(self.adapt_segment_unchecked(segment, prev_active, inc, dec))
    }

    pub(crate) fn adapt_segment_unchecked(
        &mut self,
        segment: u32,
        prev_active: &[u32],
        inc: f32,
        dec: f32,
    ) -> bool {
        let mut dead = std::mem::take(&mut self.scratch);
        dead.clear();
        for (pos, &s) in self.segments[segment as usize].synapses.iter().enumerate() {
            let syn = &mut self.synapses[s as usize];
            let p = if prev_active.binary_search(&syn.presyn).is_ok() {
                syn.permanence + inc
            } else {
                syn.permanence - dec
            };
            syn.permanence = p.clamp(0.0, 1.0);
            if syn.permanence < EPSILON {
                dead.push(pos as u32);
            }
        }
        // Remove from the back so that earlier positions stay valid under swap_remove.
        for &pos in dead.iter().rev() {
            self.destroy_synapse_at(segment, pos as usize);
        }
        self.scratch = dead;
        if self.segments[segment as usize].synapses.is_empty() {
            self.destroy_segment_unchecked(segment);
            false
        } else {
            true
        }
    }

    /// Grows up to `n` new synapses with `initial` permanence on `segment`, from cells of
    /// `candidates` (sorted) it has no synapse from yet, chosen at random. When the segment would
    /// exceed `max_synapses`, its weakest synapses from cells outside `candidates` are destroyed
    /// first.
    ///
    /// Errors: not a live segment, `candidates` not sorted ascending or out of range,
    /// `initial` outside [0, 1].
    pub fn grow_synapses(
        &mut self,
        segment: u32,
        n: usize,
        candidates: &[u32],
        initial: f32,
        max_synapses: usize,
        rng: &mut CounterRng,
    ) -> Result<()> {
        self.check_segment(segment)?;
        if !candidates.is_sorted() {
            return Err(MemoryError::param(
                "candidates",
                "must be sorted ascending",
                "unsorted",
            ));
        }
        if let Some(&c) = candidates.last().filter(|&&c| c >= self.num_cells) {
            return Err(MemoryError::IndexOutOfRange {
                index: c.into(),
                size: self.num_cells,
            });
        }
        if !(0.0..=1.0).contains(&initial) {
            return Err(MemoryError::param("initial", "must be in [0, 1]", initial));
        }
        self.grow_synapses_unchecked(segment, n, candidates, initial, max_synapses, rng);
        Ok(())
    }

    pub(crate) fn grow_synapses_unchecked(
        &mut self,
        segment: u32,
        n: usize,
        candidates: &[u32],
        initial: f32,
        max_synapses: usize,
        rng: &mut CounterRng,
    ) {
        let mut cand = std::mem::take(&mut self.scratch);
        cand.clear();
        cand.extend_from_slice(candidates);
        for &s in &self.segments[segment as usize].synapses {
            let pre = self.synapses[s as usize].presyn;
            if let Ok(p) = cand.binary_search(&pre) {
                cand.remove(p);
            }
        }
        let mut n = n.min(cand.len());
        let len = self.segments[segment as usize].synapses.len();
        if len + n > max_synapses {
            let over = len + n - max_synapses;
            for _ in 0..over {
                let syns = &self.segments[segment as usize].synapses;
                let weakest = syns
                    .iter()
                    .enumerate()
                    .filter(|&(_, &s)| {
                        candidates
                            .binary_search(&self.synapses[s as usize].presyn)
                            .is_err()
                    })
                    .min_by(|a, b| {
                        let pa = self.synapses[*a.1 as usize].permanence;
                        let pb = self.synapses[*b.1 as usize].permanence;
                        pa.total_cmp(&pb)
                    })
                    .map(|(p, _)| p);
                match weakest {
                    Some(p) => self.destroy_synapse_at(segment, p),
                    None => break,
                }
            }
            let len = self.segments[segment as usize].synapses.len();
            n = n.min(max_synapses.saturating_sub(len));
        }
        // Partial Fisher-Yates: the first n of cand become a uniform random subset.
        for i in 0..n {
            let j = i + rng.below((cand.len() - i) as u64) as usize;
            cand.swap(i, j);
            let pre = cand[i];
            self.create_synapse_unchecked(segment, pre, initial);
        }
        self.scratch = cand;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glia_core::rng::Purpose;

    #[test]
    fn activity_counts_and_learning() {
        let mut c = Connections::new(10, 0.5).unwrap();
        let s0 = c.create_segment(3, 0).unwrap();
        let s1 = c.create_segment(4, 0).unwrap();
        for (p, perm) in [(0, 0.6), (1, 0.4), (2, 0.5)] {
            c.create_synapse(s0, p, perm).unwrap();
        }
        c.create_synapse(s1, 1, 0.9).unwrap();
        let (mut a, mut p) = (Vec::new(), Vec::new());
        c.compute_activity(&[0, 1, 2], &mut a, &mut p).unwrap();
        assert_eq!((a[s0 as usize], p[s0 as usize]), (2, 3));
        assert_eq!((a[s1 as usize], p[s1 as usize]), (1, 1));
        // Reinforce 0 and 1, punish 2: 2 drops from 0.5 to 0.4 -> disconnected.
        assert!(c.adapt_segment(s0, &[0, 1], 0.1, 0.1).unwrap());
        c.compute_activity(&[0, 1, 2], &mut a, &mut p).unwrap();
        assert_eq!((a[s0 as usize], p[s0 as usize]), (2, 3));
        // Decay segment 1 to nothing: it disappears with its synapse.
        assert!(!c.adapt_segment(s1, &[], 0.1, 1.0).unwrap());
        assert!(c.adapt_segment(s1, &[], 0.1, 0.1).is_err(), "dead segment");
        assert!(c.destroy_segment(s1).is_err());
        assert!(c.create_synapse(99, 0, 0.5).is_err());
        assert!(c.adapt_segment(s0, &[2, 1], 0.1, 0.1).is_err(), "unsorted");
        assert_eq!(c.num_segments(), 1);
        assert_eq!(c.num_synapses(), 3);
        let mut rng = CounterRng::new(0, Purpose::Memory, 0, 0, 0);
        c.grow_synapses(s0, 5, &[0, 5, 6, 7], 0.21, 5, &mut rng)
            .unwrap();
        assert!(c.grow_synapses(s0, 1, &[10], 0.21, 5, &mut rng).is_err());
        assert_eq!(c.segment_len(s0), 5);
        let pres: Vec<u32> = c.synapses_of(s0).map(|s| s.presyn).collect();
        assert!(pres.contains(&0) && !pres.contains(&2), "{pres:?}");
        assert!(c.compute_activity(&[10], &mut a, &mut p).is_err());
    }
}
