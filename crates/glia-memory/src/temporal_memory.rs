//! Temporal (sequence) memory: columns of cells with dendritic segments that learn high-order
//! sequences (Hawkins & Ahmad 2016, "Why neurons have thousands of synapses, a theory of sequence
//! memory in neocortex"; the algorithm as in htm.core's `TemporalMemory`).
//!
//! The input at each step is a set of active columns (an [`Sdr`] of size `columns`). Each column
//! has `cells_per_column` cells. Per step:
//!
//! 1. **Activate cells.** In an active column that contains predicted cells (cells with an active
//!    distal segment), only those cells fire; they become *winner* cells and their active
//!    segments are reinforced (`+inc` for synapses from previously active cells, `−dec` for the
//!    others) and grown towards `max_new_synapses` synapses from previous winner cells. An active
//!    column without predicted cells *bursts*: all its cells fire; the winner is the cell of the
//!    best matching segment (most active potential synapses, at least `min_threshold`), which is
//!    reinforced and grown, or else the least used cell, which gets a new segment with synapses
//!    from the previous winner cells. Matching segments in inactive columns are weakened by
//!    `predicted_segment_decrement`.
//! 2. **Activate dendrites.** Segments with at least `activation_threshold` connected synapses
//!    from active cells are active; their cells are *predictive* for the next step. Segments with
//!    at least `min_threshold` potential synapses from active cells are matching.
//!
//! A cell's identity within its column encodes the context, so the same input in two sequences
//! activates different cells and `A B C D` vs `X B C Y` can be told apart after `C`.
//! The columns of the predictive cells ([`TemporalMemory::predicted_columns`]) are the prediction
//! of the next input; [`TemporalMemory::anomaly`] is the fraction of active columns that were
//! not predicted.
//!
//! Random choices (tie-breaks, which candidate cells get synapses) use the stream
//! `(seed, Purpose::Memory, 0x7E, column, iteration)`: a run is a pure function of the seed and
//! the inputs.

use crate::error::{MemoryError, Result};
use crate::sdr::Sdr;
use crate::segments::Connections;
use glia_core::rng::{CounterRng, Purpose};

/// Parameters of [`TemporalMemory`] (defaults are htm.core's).
#[derive(Clone, Debug, PartialEq)]
pub struct TmParams {
    /// Number of columns (size of the input SDR).
    pub columns: u32,
    /// Cells per column.
    pub cells_per_column: u32,
    /// Connected active synapses for a segment to be active (NMDA threshold θ).
    pub activation_threshold: u16,
    /// Potential active synapses for a segment to be matching (eligible for learning).
    pub min_threshold: u16,
    /// Permanence of new synapses.
    pub initial_permanence: f32,
    /// Permanence at which a synapse is connected.
    pub connected_permanence: f32,
    /// Permanence increment for synapses from active cells on a learning segment.
    pub permanence_increment: f32,
    /// Permanence decrement for the other synapses of a learning segment.
    pub permanence_decrement: f32,
    /// Decrement for matching segments of cells in columns that did not become active.
    pub predicted_segment_decrement: f32,
    /// Target number of synapses from active cells grown per learning step.
    pub max_new_synapses: u32,
    /// Segments per cell; the least recently used is replaced beyond it.
    pub max_segments_per_cell: u32,
    /// Synapses per segment; the weakest are replaced beyond it.
    pub max_synapses_per_segment: u32,
    /// Seed of the random streams.
    pub seed: u64,
}

impl Default for TmParams {
    fn default() -> Self {
        Self {
            columns: 2048,
            cells_per_column: 32,
            activation_threshold: 13,
            min_threshold: 10,
            initial_permanence: 0.21,
            connected_permanence: 0.5,
            permanence_increment: 0.1,
            permanence_decrement: 0.1,
            predicted_segment_decrement: 0.0,
            max_new_synapses: 20,
            max_segments_per_cell: 255,
            max_synapses_per_segment: 255,
            seed: 42,
        }
    }
}

impl TmParams {
    /// Checks the ranges; errors name the field.
    pub fn validate(&self) -> Result<()> {
        let p = |name, why, v: &dyn std::fmt::Display| Err(MemoryError::param(name, why, v));
        if self.columns == 0 {
            return p("columns", "must be > 0", &self.columns);
        }
        if self.cells_per_column == 0 {
            return p("cells_per_column", "must be > 0", &self.cells_per_column);
        }
        if u64::from(self.columns) * u64::from(self.cells_per_column) > u64::from(u32::MAX) {
            return p(
                "cells_per_column",
                "columns * cells_per_column must fit in u32",
                &self.cells_per_column,
            );
        }
        if self.activation_threshold == 0 {
            return p(
                "activation_threshold",
                "must be > 0",
                &self.activation_threshold,
            );
        }
        if self.min_threshold == 0 || self.min_threshold > self.activation_threshold {
            return p(
                "min_threshold",
                "must be in 1..=activation_threshold",
                &self.min_threshold,
            );
        }
        if u32::from(self.activation_threshold) > self.max_synapses_per_segment {
            return p(
                "activation_threshold",
                "must be <= max_synapses_per_segment",
                &self.activation_threshold,
            );
        }
        if self.max_synapses_per_segment == 0 || self.max_synapses_per_segment > u32::from(u16::MAX)
        {
            return p(
                "max_synapses_per_segment",
                "must be in 1..=65535",
                &self.max_synapses_per_segment,
            );
        }
        if self.max_segments_per_cell == 0 {
            return p(
                "max_segments_per_cell",
                "must be > 0",
                &self.max_segments_per_cell,
            );
        }
        if self.max_new_synapses == 0 {
            return p("max_new_synapses", "must be > 0", &self.max_new_synapses);
        }
        for (name, v) in [
            ("initial_permanence", self.initial_permanence),
            ("connected_permanence", self.connected_permanence),
            ("permanence_increment", self.permanence_increment),
            ("permanence_decrement", self.permanence_decrement),
            (
                "predicted_segment_decrement",
                self.predicted_segment_decrement,
            ),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return p(name, "must be in [0, 1]", &v);
            }
        }
        if self.connected_permanence == 0.0 {
            return p(
                "connected_permanence",
                "must be > 0",
                &self.connected_permanence,
            );
        }
        Ok(())
    }
}

/// The sequence memory; see the module docs.
#[derive(Clone, Debug)]
pub struct TemporalMemory {
    p: TmParams,
    conn: Connections,
    iteration: u64,
    active_cells: Vec<u32>,
    winner_cells: Vec<u32>,
    active_segments: Vec<u32>,
    matching_segments: Vec<u32>,
    num_active_connected: Vec<u16>,
    num_active_potential: Vec<u16>,
    anomaly: f64,
    prev_active: Vec<u32>,
    prev_winner: Vec<u32>,
}

impl TemporalMemory {
    /// A memory without segments. Errors: invalid parameters.
    pub fn new(p: TmParams) -> Result<Self> {
        p.validate()?;
        let conn = Connections::new(p.columns * p.cells_per_column, p.connected_permanence)?;
        Ok(Self {
            p,
            conn,
            iteration: 0,
            active_cells: Vec::new(),
            winner_cells: Vec::new(),
            active_segments: Vec::new(),
            matching_segments: Vec::new(),
            num_active_connected: Vec::new(),
            num_active_potential: Vec::new(),
            anomaly: 0.0,
            prev_active: Vec::new(),
            prev_winner: Vec::new(),
        })
    }

    /// The parameters.
    pub fn params(&self) -> &TmParams {
        &self.p
    }

    /// The segments and synapses.
    pub fn connections(&self) -> &Connections {
        &self.conn
    }

    /// The segments and synapses, to build segments by hand (as htm.core's `createSegment` and
    /// `createSynapse`, used by its unit tests): segments added here take part from the next
    /// [`TemporalMemory::compute`] on. Pass [`TemporalMemory::iteration`] as the segment's
    /// last use.
    pub fn connections_mut(&mut self) -> &mut Connections {
        &mut self.conn
    }

    /// Number of `compute` calls so far.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    /// Cells active after the last step (sorted).
    pub fn active_cells(&self) -> &[u32] {
        &self.active_cells
    }

    /// Winner cells of the last step (sorted).
    pub fn winner_cells(&self) -> &[u32] {
        &self.winner_cells
    }

    /// Cells with an active segment after the last step (sorted): the prediction.
    pub fn predictive_cells(&self) -> Vec<u32> {
        let mut cells: Vec<u32> = self
            .active_segments
            .iter()
            .map(|&s| self.conn.cell_of(s))
            .collect();
        cells.dedup();
        cells
    }

    /// Columns that contain a predictive cell: the predicted next input.
    pub fn predicted_columns(&self) -> Sdr {
        let cpc = self.p.cells_per_column;
        let mut cols: Vec<u32> = self
            .active_segments
            .iter()
            .map(|&s| self.conn.cell_of(s) / cpc)
            .collect();
        cols.dedup();
        Sdr::from_sorted_unchecked(self.p.columns, cols)
    }

    /// Fraction of the last input's active columns that had not been predicted (0 for an empty
    /// input).
    pub fn anomaly(&self) -> f64 {
        self.anomaly
    }

    /// Forgets the current sequence context (active and winner cells, predictions); learned
    /// synapses stay.
    pub fn reset(&mut self) {
        self.active_cells.clear();
        self.winner_cells.clear();
        self.active_segments.clear();
        self.matching_segments.clear();
    }

    #[inline]
    fn column_of_segment(&self, s: u32) -> u32 {
        self.conn.cell_of(s) / self.p.cells_per_column
    }

    /// One step: `active_columns` is the input; `learn` enables synaptic learning.
    ///
    /// Errors: `active_columns` of a size other than `columns`.
    pub fn compute(&mut self, active_columns: &Sdr, learn: bool) -> Result<()> {
        if active_columns.size() != self.p.columns {
            return Err(MemoryError::SizeMismatch {
                what: "TemporalMemory::compute: input size vs columns",
                left: active_columns.size() as usize,
                right: self.p.columns as usize,
            });
        }
        self.activate_cells(active_columns, learn);
        self.activate_dendrites(learn);
        self.iteration += 1;
        Ok(())
    }

    fn activate_cells(&mut self, input: &Sdr, learn: bool) {
        std::mem::swap(&mut self.prev_active, &mut self.active_cells);
        std::mem::swap(&mut self.prev_winner, &mut self.winner_cells);
        self.active_cells.clear();
        self.winner_cells.clear();
        let active_segs = std::mem::take(&mut self.active_segments);
        let matching_segs = std::mem::take(&mut self.matching_segments);
        let cols = input.indices();
        let (mut ia, mut im) = (0usize, 0usize);
        let mut predicted_hits = 0usize;
        for &col in cols {
            while im < matching_segs.len() && self.column_of_segment(matching_segs[im]) < col {
                if learn {
                    self.punish(matching_segs[im]);
                }
                im += 1;
            }
            while ia < active_segs.len() && self.column_of_segment(active_segs[ia]) < col {
                ia += 1;
            }
            let a0 = ia;
            while ia < active_segs.len() && self.column_of_segment(active_segs[ia]) == col {
                ia += 1;
            }
            let m0 = im;
            while im < matching_segs.len() && self.column_of_segment(matching_segs[im]) == col {
                im += 1;
            }
            if ia > a0 {
                predicted_hits += 1;
                self.activate_predicted_column(&active_segs[a0..ia], learn);
            } else {
                self.burst_column(col, &matching_segs[m0..im], learn);
            }
        }
        if learn {
            for &s in &matching_segs[im..] {
                self.punish(s);
            }
        }
        self.anomaly = if cols.is_empty() {
            0.0
        } else {
            1.0 - predicted_hits as f64 / cols.len() as f64
        };
    }

    fn rng(&self, col: u32) -> CounterRng {
        CounterRng::new(self.p.seed, Purpose::Memory, 0x7E, col, self.iteration)
    }

    fn activate_predicted_column(&mut self, segs: &[u32], learn: bool) {
        let mut rng = self.rng(self.column_of_segment(segs[0]));
        for &s in segs {
            let cell = self.conn.cell_of(s);
            if self.active_cells.last() != Some(&cell) {
                self.active_cells.push(cell);
                self.winner_cells.push(cell);
            }
            if learn {
                self.learn_on_segment(s, &mut rng);
            }
        }
    }

    fn learn_on_segment(&mut self, s: u32, rng: &mut CounterRng) {
        let p = &self.p;
        let pot = usize::from(self.num_active_potential[s as usize]);
        if !self.conn.adapt_segment_unchecked(
            s,
            &self.prev_active,
            p.permanence_increment,
            p.permanence_decrement,
        ) {
            return;
        }
        let grow = (p.max_new_synapses as usize).saturating_sub(pot);
        if grow > 0 {
            self.conn.grow_synapses_unchecked(
                s,
                grow,
                &self.prev_winner,
                p.initial_permanence,
                p.max_synapses_per_segment as usize,
                rng,
            );
        }
    }

    fn burst_column(&mut self, col: u32, matching: &[u32], learn: bool) {
        let cpc = self.p.cells_per_column;
        let first = col * cpc;
        self.active_cells.extend(first..first + cpc);
        let mut rng = self.rng(col);
        let best = matching.iter().copied().reduce(|b, s| {
            if self.num_active_potential[s as usize] > self.num_active_potential[b as usize] {
                s
            } else {
                b
            }
        });
        let winner = if let Some(best) = best {
            let cell = self.conn.cell_of(best);
            if learn {
                self.learn_on_segment(best, &mut rng);
            }
            cell
        } else {
            let cell = self.least_used_cell(first, cpc, &mut rng);
            if learn && !self.prev_winner.is_empty() {
                let s = self.new_segment(cell);
                let n = (self.p.max_new_synapses as usize).min(self.prev_winner.len());
                let p = &self.p;
                self.conn.grow_synapses_unchecked(
                    s,
                    n,
                    &self.prev_winner,
                    p.initial_permanence,
                    p.max_synapses_per_segment as usize,
                    &mut rng,
                );
            }
            cell
        };
        self.winner_cells.push(winner);
    }

    fn least_used_cell(&self, first: u32, cpc: u32, rng: &mut CounterRng) -> u32 {
        let counts = (first..first + cpc).map(|c| self.conn.segments_of(c).len());
        let min = counts.clone().min().unwrap_or(0);
        let ties = counts.clone().filter(|&k| k == min).count();
        let pick = rng.below(ties as u64) as usize;
        (first..first + cpc)
            .filter(|&c| self.conn.segments_of(c).len() == min)
            .nth(pick)
            .expect("pick < ties")
    }

    fn new_segment(&mut self, cell: u32) -> u32 {
        let segs = self.conn.segments_of(cell);
        if segs.len() >= self.p.max_segments_per_cell as usize {
            let lru = segs
                .iter()
                .copied()
                .min_by_key(|&s| self.conn.last_used(s))
                .expect("non-empty");
            self.conn.destroy_segment(lru).expect("live segment");
        }
        self.conn
            .create_segment(cell, self.iteration)
            .expect("cell in range")
    }

    fn punish(&mut self, s: u32) {
        let d = self.p.predicted_segment_decrement;
        if d > 0.0 {
            self.conn
                .adapt_segment_unchecked(s, &self.prev_active, -d, 0.0);
        }
    }

    fn activate_dendrites(&mut self, learn: bool) {
        self.conn
            .compute_activity(
                &self.active_cells,
                &mut self.num_active_connected,
                &mut self.num_active_potential,
            )
            .expect("active cells are in range");
        let (act, min) = (self.p.activation_threshold, self.p.min_threshold);
        self.active_segments.clear();
        self.matching_segments.clear();
        for (s, (&c, &p)) in self
            .num_active_connected
            .iter()
            .zip(&self.num_active_potential)
            .enumerate()
        {
            if c >= act {
                self.active_segments.push(s as u32);
            }
            if p >= min {
                self.matching_segments.push(s as u32);
            }
        }
        let conn = &self.conn;
        self.active_segments.sort_by_key(|&s| (conn.cell_of(s), s));
        self.matching_segments
            .sort_by_key(|&s| (conn.cell_of(s), s));
        if learn {
            for &s in &self.active_segments {
                self.conn.touch(s, self.iteration);
            }
        }
    }
}
