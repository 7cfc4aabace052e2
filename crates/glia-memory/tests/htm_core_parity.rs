//! htm.core's documented behaviour of the temporal memory, checked on glia's `TemporalMemory`.
//!
//! htm.core does not install here (no distribution for this machine's Python 3.11), so its
//! behaviour is taken from its C++ unit tests (htm-community/htm.core,
//! `src/test/unit/algorithms/TemporalMemoryTest.cpp`): the same small networks (32 columns,
//! 1 or 4 cells per column), the same hand-built segments, inputs and parameters, and the same
//! expected active, winner and predictive cells, permanences (to 1e-6) and synapse counts.
//! Where htm.core's expectation depends on its random tie-break between equally used cells
//! (which cell of a bursting column becomes the winner), the check is stated for any choice.

use glia_memory::Sdr;
use glia_memory::temporal_memory::{TemporalMemory, TmParams};

const EPS: f32 = 1e-6;

/// htm.core's constructor arguments in its order (32 columns, seed 42).
#[allow(clippy::too_many_arguments)]
fn tm(
    cells_per_column: u32,
    activation_threshold: u16,
    initial_permanence: f32,
    min_threshold: u16,
    max_new_synapses: u32,
    permanence_increment: f32,
    permanence_decrement: f32,
    predicted_segment_decrement: f32,
) -> TemporalMemory {
    TemporalMemory::new(TmParams {
        columns: 32,
        cells_per_column,
        activation_threshold,
        min_threshold,
        initial_permanence,
        connected_permanence: 0.5,
        permanence_increment,
        permanence_decrement,
        predicted_segment_decrement,
        max_new_synapses,
        max_segments_per_cell: 255,
        max_synapses_per_segment: 255,
        seed: 42,
    })
    .unwrap()
}

/// The default test network of htm.core: 4 cells per column, θ = 3, min 2, ±0.1.
fn tm4(max_new: u32, dec: f32, psd: f32) -> TemporalMemory {
    tm(4, 3, 0.21, 2, max_new, 0.1, dec, psd)
}

fn cols(active: &[u32]) -> Sdr {
    Sdr::new(32, active.iter().copied()).unwrap()
}

/// A segment on `cell` with synapses `(presyn, permanence)`.
fn segment(t: &mut TemporalMemory, cell: u32, syn: &[(u32, f32)]) -> u32 {
    let it = t.iteration();
    let c = t.connections_mut();
    let s = c.create_segment(cell, it).unwrap();
    for &(pre, p) in syn {
        c.create_synapse(s, pre, p).unwrap();
    }
    s
}

/// Permanence of the synapse from `presyn` on `seg`.
fn perm(t: &TemporalMemory, seg: u32, presyn: u32) -> f32 {
    t.connections()
        .synapses_of(seg)
        .find(|s| s.presyn == presyn)
        .unwrap_or_else(|| panic!("no synapse from {presyn} on segment {seg}"))
        .permanence
}

fn presyns(t: &TemporalMemory, seg: u32) -> Vec<u32> {
    let mut v: Vec<u32> = t.connections().synapses_of(seg).map(|s| s.presyn).collect();
    v.sort_unstable();
    v
}

/// ActivateCorrectlyPredictiveCells: a predicted column activates only its predicted cell.
#[test]
fn activate_correctly_predictive_cells() {
    let mut t = tm4(3, 0.1, 0.0);
    segment(&mut t, 4, &[(0, 0.5), (1, 0.5), (2, 0.5), (3, 0.5)]);
    t.compute(&cols(&[0]), true).unwrap();
    assert_eq!(t.predictive_cells(), vec![4]);
    t.compute(&cols(&[1]), true).unwrap();
    assert_eq!(t.active_cells(), &[4]);
}

/// BurstUnpredictedColumns: an unpredicted column bursts (all its cells active).
#[test]
fn burst_unpredicted_columns() {
    let mut t = tm4(3, 0.1, 0.0);
    t.compute(&cols(&[0]), true).unwrap();
    assert_eq!(t.active_cells(), &[0, 1, 2, 3]);
}

/// ZeroActiveColumns: an empty input empties active, winner and predictive cells.
#[test]
fn zero_active_columns() {
    let mut t = tm4(3, 0.1, 0.02);
    segment(&mut t, 4, &[(0, 0.5), (1, 0.5), (2, 0.5), (3, 0.5)]);
    t.compute(&cols(&[0]), true).unwrap();
    assert!(!t.active_cells().is_empty());
    assert!(!t.winner_cells().is_empty());
    assert!(!t.predictive_cells().is_empty());
    t.compute(&cols(&[]), true).unwrap();
    assert!(t.active_cells().is_empty());
    assert!(t.winner_cells().is_empty());
    assert!(t.predictive_cells().is_empty());
}

/// PredictedActiveCellsAreAlwaysWinners (learning off).
#[test]
fn predicted_active_cells_are_always_winners() {
    let mut t = tm4(3, 0.1, 0.0);
    segment(&mut t, 4, &[(0, 0.5), (1, 0.5), (2, 0.5)]);
    segment(&mut t, 6, &[(0, 0.5), (1, 0.5), (2, 0.5)]);
    t.compute(&cols(&[0]), false).unwrap();
    t.compute(&cols(&[1]), false).unwrap();
    assert_eq!(t.winner_cells(), &[4, 6]);
}

/// ChooseOneWinnerCellInBurstingColumn (learning off).
#[test]
fn choose_one_winner_cell_in_bursting_column() {
    let mut t = tm4(3, 0.1, 0.0);
    t.compute(&cols(&[0]), false).unwrap();
    assert_eq!(t.winner_cells().len(), 1);
    assert!(t.winner_cells()[0] < 4);
}

/// ReinforceCorrectlyActiveSegments: active synapses 0.5 → 0.6, the inactive one 0.5 → 0.42.
#[test]
fn reinforce_correctly_active_segments() {
    let mut t = tm(4, 3, 0.2, 2, 4, 0.1, 0.08, 0.02);
    let s = segment(&mut t, 5, &[(0, 0.5), (1, 0.5), (2, 0.5), (81, 0.5)]);
    t.compute(&cols(&[0]), true).unwrap();
    t.compute(&cols(&[1]), true).unwrap();
    assert_eq!(t.active_cells(), &[5]);
    for pre in [0, 1, 2] {
        assert!((perm(&t, s, pre) - 0.6).abs() < EPS, "{}", perm(&t, s, pre));
    }
    assert!((perm(&t, s, 81) - 0.42).abs() < EPS, "{}", perm(&t, s, 81));
}

/// ReinforceSelectedMatchingSegmentInBurstingColumn (0.3 → 0.4 and 0.22) and
/// NoChangeToNonselectedMatchingSegmentsInBurstingColumn (the other stays at 0.3).
#[test]
fn reinforce_only_the_selected_matching_segment_in_a_bursting_column() {
    let mut t = tm(4, 3, 0.21, 2, 3, 0.1, 0.08, 0.0);
    let sel = segment(&mut t, 4, &[(0, 0.3), (1, 0.3), (2, 0.3), (81, 0.3)]);
    let other = segment(&mut t, 5, &[(0, 0.3), (1, 0.3), (81, 0.3)]);
    t.compute(&cols(&[0]), true).unwrap();
    t.compute(&cols(&[1]), true).unwrap();
    assert_eq!(t.active_cells(), &[4, 5, 6, 7]);
    for pre in [0, 1, 2] {
        assert!((perm(&t, sel, pre) - 0.4).abs() < EPS);
    }
    assert!((perm(&t, sel, 81) - 0.22).abs() < EPS);
    for pre in [0, 1, 81] {
        assert!((perm(&t, other, pre) - 0.3).abs() < EPS);
    }
}

/// NoChangeToMatchingSegmentsInPredictedActiveColumn.
#[test]
fn no_change_to_matching_segments_in_a_predicted_active_column() {
    let mut t = tm4(3, 0.1, 0.0);
    segment(&mut t, 4, &[(0, 0.5), (1, 0.5), (2, 0.5), (3, 0.5)]);
    let same = segment(&mut t, 4, &[(0, 0.3), (1, 0.3)]);
    let other = segment(&mut t, 5, &[(0, 0.3), (1, 0.3)]);
    t.compute(&cols(&[0]), true).unwrap();
    assert_eq!(t.predictive_cells(), vec![4]);
    t.compute(&cols(&[1]), true).unwrap();
    for s in [same, other] {
        for pre in [0, 1] {
            assert!((perm(&t, s, pre) - 0.3).abs() < EPS);
        }
    }
}

/// NoNewSegmentIfNotEnoughWinnerCells: no previous winners, no segment.
#[test]
fn no_new_segment_without_previous_winner_cells() {
    let mut t = tm4(2, 0.1, 0.0);
    t.compute(&cols(&[]), true).unwrap();
    t.compute(&cols(&[1]), true).unwrap();
    assert_eq!(t.connections().num_segments(), 0);
}

/// NewSegmentAddSynapsesToSubsetOfWinnerCells / ...ToAllWinnerCells: a new segment gets
/// min(max_new, winners) synapses at the initial permanence, from the previous winners.
#[test]
fn new_segment_grows_synapses_to_previous_winner_cells() {
    for (max_new, want) in [(2u32, 2usize), (4, 3)] {
        let mut t = tm4(max_new, 0.1, 0.0);
        t.compute(&cols(&[0, 1, 2]), true).unwrap();
        let prev = t.winner_cells().to_vec();
        assert_eq!(prev.len(), 3);
        t.compute(&cols(&[4]), true).unwrap();
        assert_eq!(t.winner_cells().len(), 1);
        let segs = t.connections().segments_of(t.winner_cells()[0]).to_vec();
        assert_eq!(segs.len(), 1);
        let syn: Vec<_> = t.connections().synapses_of(segs[0]).collect();
        assert_eq!(syn.len(), want, "max_new {max_new}");
        for s in &syn {
            assert!((s.permanence - 0.21).abs() < EPS);
            assert!(prev.contains(&s.presyn));
        }
        if want == 3 {
            assert_eq!(presyns(&t, segs[0]), prev);
        }
    }
}

/// MatchingSegmentAddSynapsesToSubsetOfWinnerCells / ...ToAllWinnerCells: a matching segment
/// with one active synapse grows up to max_new − 1 more (1 cell per column).
#[test]
fn matching_segment_grows_to_max_new_active_synapses() {
    for (prev_cols, want) in [(&[0u32, 1, 2, 3][..], 3usize), (&[0, 1][..], 2)] {
        let mut t = tm(1, 3, 0.21, 1, 3, 0.1, 0.1, 0.0);
        let s = segment(&mut t, 4, &[(0, 0.5)]);
        t.compute(&cols(prev_cols), true).unwrap();
        assert_eq!(t.winner_cells(), prev_cols);
        t.compute(&cols(&[4]), true).unwrap();
        let syn: Vec<_> = t.connections().synapses_of(s).collect();
        assert_eq!(syn.len(), want);
        for x in syn.iter().filter(|x| x.presyn != 0) {
            assert!((x.permanence - 0.21).abs() < EPS);
            assert!(prev_cols[1..].contains(&x.presyn));
        }
    }
}

/// ActiveSegmentGrowSynapsesAccordingToPotentialOverlap: the number grown is max_new minus the
/// *potential* (not connected) overlap: 4 − 3 = 1 new synapse, from cell 3 or 4.
#[test]
fn active_segment_grows_by_potential_overlap() {
    let mut t = tm(1, 2, 0.21, 1, 4, 0.1, 0.1, 0.0);
    let s = segment(&mut t, 5, &[(0, 0.5), (1, 0.5), (2, 0.2)]);
    t.compute(&cols(&[0, 1, 2, 3, 4]), true).unwrap();
    assert_eq!(t.winner_cells(), &[0, 1, 2, 3, 4]);
    t.compute(&cols(&[5]), true).unwrap();
    let syn: Vec<_> = t.connections().synapses_of(s).collect();
    assert_eq!(syn.len(), 4);
    let new: Vec<_> = syn.iter().filter(|x| x.presyn > 2).collect();
    assert_eq!(new.len(), 1);
    assert!((new[0].permanence - 0.21).abs() < EPS);
    assert!(new[0].presyn == 3 || new[0].presyn == 4);
}

/// DestroyWeakSynapseOnWrongPrediction: a wrong prediction (column 1 predicted, column 2
/// active) punishes by 0.02, and the 0.015 synapse is destroyed.
#[test]
fn destroy_weak_synapse_on_wrong_prediction() {
    let mut t = tm(4, 3, 0.2, 2, 4, 0.1, 0.1, 0.02);
    let s = segment(&mut t, 5, &[(0, 0.5), (1, 0.5), (2, 0.5), (3, 0.015)]);
    t.compute(&cols(&[0]), true).unwrap();
    t.compute(&cols(&[2]), true).unwrap();
    assert_eq!(t.connections().segment_len(s), 3);
    assert_eq!(presyns(&t, s), vec![0, 1, 2]);
}

/// DestroyWeakSynapseOnActiveReinforce: the inactive 0.09 synapse loses 0.1 and is destroyed.
/// (htm.core expects 3 synapses left: its winner of the bursting column 0 is one of the cells
/// already connected; when the winner is cell 3, one synapse to it is grown, so 3 or 4 here.)
#[test]
fn destroy_weak_synapse_on_active_reinforce() {
    let mut t = tm(4, 3, 0.2, 2, 4, 0.1, 0.1, 0.02);
    let s = segment(&mut t, 5, &[(0, 0.5), (1, 0.5), (2, 0.5), (81, 0.09)]);
    t.compute(&cols(&[0]), true).unwrap();
    let winner = t.winner_cells()[0];
    t.compute(&cols(&[1]), true).unwrap();
    let mut want = vec![0, 1, 2];
    if winner == 3 {
        want.push(3);
    }
    assert_eq!(presyns(&t, s), want);
}

/// RecycleWeakestSynapseToMakeRoomForNewSynapse: with 4 synapses per segment at most, the
/// weakest (from cell 0, 0.11) makes room; the segment ends with {1, 2, 3, 31}.
#[test]
fn recycle_weakest_synapse_for_a_new_one() {
    let mut t = TemporalMemory::new(TmParams {
        columns: 32,
        cells_per_column: 1,
        activation_threshold: 3,
        min_threshold: 1,
        initial_permanence: 0.21,
        connected_permanence: 0.5,
        permanence_increment: 0.02,
        permanence_decrement: 0.02,
        predicted_segment_decrement: 0.0,
        max_new_synapses: 3,
        max_segments_per_cell: 255,
        max_synapses_per_segment: 4,
        seed: 42,
    })
    .unwrap();
    let s = segment(&mut t, 4, &[(0, 0.11), (1, 0.20), (31, 0.6)]);
    t.compute(&cols(&[1, 2, 3]), true).unwrap();
    assert_eq!(t.winner_cells(), &[1, 2, 3]);
    t.compute(&cols(&[4]), true).unwrap();
    assert_eq!(presyns(&t, s), vec![1, 2, 3, 31]);
}

/// RecycleLeastRecentlyActiveSegmentToMakeRoomForNewSegment: with 2 segments per cell, a third
/// context replaces the least recently used segment.
#[test]
fn recycle_least_recently_active_segment() {
    let mut t = TemporalMemory::new(TmParams {
        columns: 32,
        cells_per_column: 1,
        activation_threshold: 3,
        min_threshold: 2,
        initial_permanence: 0.5,
        connected_permanence: 0.5,
        permanence_increment: 0.02,
        permanence_decrement: 0.02,
        predicted_segment_decrement: 0.0,
        max_new_synapses: 3,
        max_segments_per_cell: 2,
        max_synapses_per_segment: 255,
        seed: 42,
    })
    .unwrap();
    t.compute(&cols(&[0, 1, 2]), true).unwrap();
    t.compute(&cols(&[9]), true).unwrap();
    assert_eq!(t.connections().segments_of(9).len(), 1);
    let oldest = t.connections().segments_of(9)[0];
    let old_pre = presyns(&t, oldest);
    assert_eq!(old_pre, vec![0, 1, 2]);
    t.reset();
    t.compute(&cols(&[3, 4, 5]), true).unwrap();
    t.compute(&cols(&[9]), true).unwrap();
    assert_eq!(t.connections().segments_of(9).len(), 2);
    t.reset();
    t.compute(&cols(&[6, 7, 8]), true).unwrap();
    t.compute(&cols(&[9]), true).unwrap();
    let segs = t.connections().segments_of(9).to_vec();
    assert_eq!(segs.len(), 2);
    for s in segs {
        let pre = presyns(&t, s);
        assert!(pre.iter().all(|p| !old_pre.contains(p)), "{pre:?}");
    }
}
