//! Static synapses in compressed sparse rows by presynaptic neuron.
//!
//! Per synapse: target index (`u32`, 4 bytes); weights and delays are one value per projection
//! when constant, otherwise one `f32` weight (4 bytes) and one delay. A per-synapse delay is
//! either a `u16` (2 bytes, [`Delays::PerSynapse`]) or, for static spiking projections whose
//! target indices leave room, packed into the low bits of the target word
//! ([`Delays::Packed`], 0 extra bytes: 8 bytes per synapse with its weight). Rows are sorted by
//! target (the packed word keeps the target in its high bits, so packed rows stay sorted by
//! target) so that a thread owning a range of targets finds its part of a row by binary search.
//! Read targets and delays with [`Csr::target`] and [`Csr::delay`] (or
//! [`Csr::target_indices`]), which decode either form.

/// Delays of a projection, in steps (≥ 1).
#[derive(Clone, Debug)]
pub enum Delays {
    /// Every synapse has this delay.
    Const(u16),
    /// One delay per synapse, aligned with `targets`.
    PerSynapse(Vec<u16>),
    /// One delay per synapse in the low `bits` bits of each `targets` word (the target index
    /// is the word shifted right by `bits`).
    Packed {
        /// Bits taken by the delay (enough for `max`).
        bits: u32,
        /// Largest delay in steps.
        max: u16,
    },
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

    /// Target index of synapse `k`.
    #[inline]
    pub fn target(&self, k: usize) -> u32 {
        match self.delays {
            Delays::Packed { bits, .. } => self.targets[k] >> bits,
            _ => self.targets[k],
        }
    }

    /// Delay of synapse `k` in steps.
    #[inline]
    pub fn delay(&self, k: usize) -> u16 {
        match &self.delays {
            Delays::Const(d) => *d,
            Delays::PerSynapse(v) => v[k],
            Delays::Packed { bits, .. } => (self.targets[k] & ((1 << bits) - 1)) as u16,
        }
    }

    /// Target indices of all synapses (borrowed unless delays are packed).
    pub fn target_indices(&self) -> std::borrow::Cow<'_, [u32]> {
        match self.delays {
            Delays::Packed { bits, .. } => self.targets.iter().map(|&x| x >> bits).collect(),
            _ => std::borrow::Cow::Borrowed(&self.targets),
        }
    }

    /// Move per-synapse delays into the low bits of the target words when the largest target
    /// index leaves room for the largest delay (e.g. 21,915 targets (15 bits) and delays up to
    /// 131,071 steps); otherwise leave them as they are. Saves 2 bytes per synapse.
    pub fn pack_delays(&mut self) {
        let Delays::PerSynapse(ds) = &self.delays else {
            return;
        };
        let max = ds.iter().copied().max().unwrap_or(1);
        let bits = 16 - max.leading_zeros();
        let max_target = self.targets.iter().copied().max().unwrap_or(0);
        if bits == 0 || u64::from(max_target) >= 1u64 << (32 - bits) {
            return;
        }
        for (t, &d) in self.targets.iter_mut().zip(ds) {
            *t = (*t << bits) | u32::from(d);
        }
        self.delays = Delays::Packed { bits, max };
    }

    /// Undo [`Csr::pack_delays`] (2 bytes per synapse for a `u16` delay again).
    pub fn unpack_delays(&mut self) {
        let Delays::Packed { bits, .. } = self.delays else {
            return;
        };
        let mask = (1u32 << bits) - 1;
        let ds = self.targets.iter().map(|&x| (x & mask) as u16).collect();
        self.targets.iter_mut().for_each(|t| *t >>= bits);
        self.delays = Delays::PerSynapse(ds);
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
            Delays::Packed { max, .. } => *max,
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
                Delays::Const(_) | Delays::Packed { .. } => 0,
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
                    target: self.target(k),
                    weight: self.weights.at(k),
                    delay: self.delay(k),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packing keeps every (target, delay) and the row order, saves 2 bytes per synapse, and
    /// unpacking restores the arrays; a target too large for the delay's bits is not packed.
    #[test]
    fn packed_delays_round_trip() {
        let edges: Vec<Edge> = (0..500u32)
            .map(|k| Edge {
                source: k % 7,
                target: (k * 7919) % 20_000,
                weight: k as f32,
                delay: (1 + k % 40) as u16,
            })
            .collect();
        let plain = Csr::from_edges(7, &edges);
        let mut packed = plain.clone();
        packed.pack_delays();
        assert!(matches!(packed.delays, Delays::Packed { bits: 6, max: 40 }));
        assert_eq!(packed.edges(), plain.edges());
        assert_eq!(packed.bytes() + 2 * 500, plain.bytes());
        assert_eq!(packed.max_delay(), 40);
        assert_eq!(&*packed.target_indices(), &plain.targets[..]);
        for i in 0..7 {
            let row = &packed.targets[packed.row_ptr[i] as usize..packed.row_ptr[i + 1] as usize];
            assert!(row.windows(2).all(|w| w[0] <= w[1]));
        }
        packed.unpack_delays();
        assert_eq!(packed.targets, plain.targets);
        assert!(matches!(packed.delays, Delays::PerSynapse(_)));
        let mut big = Csr::from_edges(
            1,
            &[
                Edge {
                    source: 0,
                    target: u32::MAX >> 5,
                    weight: 1.0,
                    delay: 40,
                },
                Edge {
                    source: 0,
                    target: 3,
                    weight: 1.0,
                    delay: 2,
                },
            ],
        );
        big.pack_delays();
        assert!(matches!(big.delays, Delays::PerSynapse(_)));
    }
}
