//! Small helpers shared by the neuron kernels: a branch-free select and the spike collection
//! that skips quiet chunks.

/// `if c { a } else { b }` with both operands evaluated, as a bit blend: keeps the compiler
/// from turning the choice into a choice of address, which would stop vectorisation.
#[inline(always)]
pub fn select(c: bool, a: f32, b: f32) -> f32 {
    let m = (c as u32).wrapping_neg();
    f32::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
}

/// Append `first + i` for every non-zero `flags[i]`, skipping all-zero chunks of 32 with a
/// vectorised OR of the bit patterns.
#[inline(always)]
pub fn collect_spikes(flags: &[f32], first: u32, spikes: &mut Vec<u32>) {
    const CHUNK: usize = 32;
    for (c, chunk) in flags.chunks(CHUNK).enumerate() {
        if chunk.iter().fold(0u32, |a, f| a | f.to_bits()) != 0 {
            for (j, &f) in chunk.iter().enumerate() {
                if f != 0.0 {
                    spikes.push(first + (c * CHUNK + j) as u32);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_and_collect() {
        assert_eq!(select(true, 1.5, -2.0), 1.5);
        assert_eq!(select(false, 1.5, -2.0), -2.0);
        let mut flags = vec![0.0f32; 100];
        flags[3] = 1.0;
        flags[64] = 1.0;
        flags[99] = 1.0;
        let mut out = vec![7];
        collect_spikes(&flags, 1000, &mut out);
        assert_eq!(out, vec![7, 1003, 1064, 1099]);
    }
}
