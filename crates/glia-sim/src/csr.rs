//! Static synapses in compressed sparse rows by presynaptic neuron.
//!
//! Per synapse: target index (`u32`, 4 bytes); weights and delays are one value per projection
//! when constant, otherwise one `f32` weight (4 bytes) and one `u16` delay (2 bytes) per synapse. Rows are sorted by
//! target so that a thread owning a range of targets finds its part of a row by binary search.

/// Delays of a projection, in steps (≥ 1).
#[derive(Clone, Debug)]
pub enum Delays {
    /// Every synapse has this delay.
    Const(u16),
    /// One delay per synapse, aligned with `targets`.
    PerSynapse(Vec<u16>),
}

impl Delays {
    /// Delay of synapse `k` in steps.
    #[inline]
    pub fn at(&self, k: usize) -> u16 {
        match self {
            Delays::Const(d) => *d,
            Delays::PerSynapse(v) => v[k],
        }
    }
}

/// Weights of a projection.
#[derive(Clone, Debug)]
pub enum Weights {
    /// Every synapse has this weight (stored once: 4 bytes per synapse saved, and half the
    /// memory traffic during delivery).
    Const(f32),
    /// One weight per synapse, aligned with `targets`.
    PerSynapse(Vec<f32>),
}

impl Weights {
    /// Weight of synapse `k`.
    #[inline]
    pub fn at(&self, k: usize) -> f32 {
        match self {
            Weights::Const(w) => *w,
            Weights::PerSynapse(v) => v[k],
        }
    }
}

/// One projection's synapses.
#[derive(Clone, Debug)]
pub struct Csr {
    /// `row_ptr[i]..row_ptr[i + 1]` are the synapses of source neuron `i`.
    pub row_ptr: Vec<u64>,
    /// Target neuron (index in the target population), sorted within each row.
    pub targets: Vec<u32>,
    /// Weights \[pA or nS\].
    pub weights: Weights,
    /// Delays in steps.
    pub delays: Delays,
}

/// One synapse before it is placed in rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edge {
    /// Source index.
    pub source: u32,
    /// Target index.
    pub target: u32,
    /// Weight.
    pub weight: f32,
    /// Delay in steps.
    pub delay: u16,
}

impl Csr {
    /// Build rows from edges. Edges are grouped by source with a stable counting sort, then each
    /// row is stably sorted by target, so the result depends only on the edge list.
    pub fn from_edges(n_sources: usize, edges: &[Edge]) -> Self {
        let mut row_ptr = vec![0u64; n_sources + 1];
        for e in edges {
            row_ptr[e.source as usize + 1] += 1;
        }
        for i in 0..n_sources {
            row_ptr[i + 1] += row_ptr[i];
        }
        let mut fill: Vec<u64> = row_ptr[..n_sources].to_vec();
        let mut placed = vec![
            Edge {
                source: 0,
                target: 0,
                weight: 0.0,
                delay: 0
            };
            edges.len()
        ];
        for e in edges {
            let k = &mut fill[e.source as usize];
            placed[*k as usize] = *e;
            *k += 1;
        }
        for i in 0..n_sources {
            placed[row_ptr[i] as usize..row_ptr[i + 1] as usize].sort_by_key(|e| e.target);
        }
        let first = placed.first().map(|e| e.delay);
        let delays = if placed.iter().all(|e| Some(e.delay) == first) {
            Delays::Const(first.unwrap_or(1))
        } else {
            Delays::PerSynapse(placed.iter().map(|e| e.delay).collect())
        };
        Csr {
            row_ptr,
            targets: placed.iter().map(|e| e.target).collect(),
            weights: {
                let first = placed.first().map(|e| e.weight.to_bits());
                if placed.iter().all(|e| Some(e.weight.to_bits()) == first) {
                    Weights::Const(placed.first().map_or(0.0, |e| e.weight))
                } else {
                    Weights::PerSynapse(placed.iter().map(|e| e.weight).collect())
                }
            },
            delays,
        }
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no synapses.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Largest delay in steps.
    pub fn max_delay(&self) -> u16 {
        match &self.delays {
            Delays::Const(d) => *d,
            Delays::PerSynapse(v) => v.iter().copied().max().unwrap_or(1),
        }
    }

    /// Bytes used by the synapse arrays.
    pub fn bytes(&self) -> usize {
        self.row_ptr.len() * 8
            + self.targets.len() * 4
            + match &self.weights {
                Weights::Const(_) => 0,
                Weights::PerSynapse(v) => v.len() * 4,
            }
            + match &self.delays {
                Delays::Const(_) => 0,
                Delays::PerSynapse(v) => v.len() * 2,
            }
    }

    /// All synapses as edges in row order (for export and tests).
    pub fn edges(&self) -> Vec<Edge> {
        let mut out = Vec::with_capacity(self.len());
        for i in 0..self.row_ptr.len() - 1 {
            for k in self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize {
                out.push(Edge {
                    source: i as u32,
                    target: self.targets[k],
                    weight: self.weights.at(k),
                    delay: match &self.delays {
                        Delays::Const(d) => *d,
                        Delays::PerSynapse(v) => v[k],
                    },
                });
            }
        }
        out
    }
}
