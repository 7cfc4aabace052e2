//! Spike generators: neurons that fire at given times.
//!
//! A spike at time `T` \[ms\] is emitted in the step that ends at `T` (step `round(T/dt) − 1`),
//! so it carries the time stamp `T` exactly when `T` lies on the step grid, and the nearest grid
//! time otherwise. Times must be ≥ dt. Several spikes of one neuron in one step are delivered
//! as several spikes (multiplicity). Times after the end of the run are ignored.
//!
//! | param | unit | meaning |
//! |---|---|---|
//! | `times` | ms | spike times (array) |
//! | `ids` | — | neuron of each spike (array, same length; may be omitted when `size = 1`) |
//! | `file` | — | alternatively an `.npz` with arrays `times` and `ids` |
//!
//! No state variables.

/// Events of one block, sorted by step then neuron.
#[derive(Clone, Debug, Default)]
pub struct GeneratorState {
    /// `(step, global neuron index)`.
    pub events: Vec<(u64, u32)>,
    /// Next event.
    pub cursor: usize,
}

impl GeneratorState {
    /// Emit the events of `step`.
    pub fn update(&mut self, step: u64, spikes: &mut Vec<u32>) {
        while let Some(&(s, i)) = self.events.get(self.cursor) {
            if s > step {
                break;
            }
            if s == step {
                spikes.push(i);
            }
            self.cursor += 1;
        }
    }
}
