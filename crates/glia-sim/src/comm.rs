//! Communicators: how the processes of a distributed run talk to each other.
//!
//! [`Communicator::Local`] is the single process of an ordinary run (every collective is the
//! identity, nothing is sent). `Communicator::Mpi` (cargo feature `mpi`) is `MPI_COMM_WORLD`
//! of an `mpirun -n K` launch, through rsmpi over the system MPI library. The engine receives
//! the communicator as an argument ([`crate::distributed`]); there is no global one.
//!
//! The operations are the few a distributed run needs: rank and size, an all-gather of
//! variable-length arrays (spike records, state-monitor samples, synapses), integer and float
//! reductions for summary figures, a barrier, and [`Communicator::agree`], the "did any rank
//! fail?" agreement that every rank reaches before a collective that could otherwise block.

use std::time::Instant;

/// The processes of one run.
pub enum Communicator {
    /// One process (no MPI).
    Local,
    /// `MPI_COMM_WORLD` (cargo feature `mpi`).
    #[cfg(feature = "mpi")]
    Mpi(MpiComm),
}

/// An initialised MPI environment and its world communicator; MPI is finalised when this is
/// dropped.
#[cfg(feature = "mpi")]
pub struct MpiComm {
    world: mpi::topology::SimpleCommunicator,
    // Dropped last: finalises MPI.
    _universe: mpi::environment::Universe,
}

impl std::fmt::Debug for Communicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Communicator(rank {} of {})", self.rank(), self.size())
    }
}

/// Environment variables set by MPI launchers (Open MPI, MPICH/Hydra, PMIx) in every process.
const LAUNCH_VARS: &[&str] = &["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"];

/// Whether this process was started by an MPI launcher (`mpirun`, `mpiexec`, `srun`), and with
/// how many processes when the launcher says.
pub fn launched_by_mpi() -> Option<Option<usize>> {
    let found = LAUNCH_VARS.iter().any(|v| std::env::var_os(v).is_some());
    found.then(|| {
        ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
            .iter()
            .find_map(|v| std::env::var(v).ok()?.parse().ok())
    })
}

impl Communicator {
    /// The communicator this process was started with: MPI's world when launched by an MPI
    /// launcher (built with feature `mpi`), else [`Communicator::Local`]. Launched by `mpirun`
    /// with more than one process but built without the feature: an error that says so (each
    /// process would otherwise run the whole model on its own).
    pub fn from_env() -> Result<Self, String> {
        let Some(size) = launched_by_mpi() else {
            return Ok(Communicator::Local);
        };
        #[cfg(feature = "mpi")]
        {
            let _ = size;
            let universe = mpi::initialize()
                .ok_or_else(|| "MPI was already initialised in this process".to_string())?;
            let world = universe.world();
            Ok(Communicator::Mpi(MpiComm {
                world,
                _universe: universe,
            }))
        }
        #[cfg(not(feature = "mpi"))]
        match size {
            Some(n) if n > 1 => Err(format!(
                "started by an MPI launcher with {n} processes, but this glia was built without \
                 feature \"mpi\" (build it with `cargo build --release --features mpi`)"
            )),
            _ => Ok(Communicator::Local),
        }
    }

    /// Whether this is an MPI communicator (even of one process).
    pub fn is_mpi(&self) -> bool {
        match self {
            Communicator::Local => false,
            #[cfg(feature = "mpi")]
            Communicator::Mpi(_) => true,
        }
    }

    /// This process's rank, `0..size`.
    pub fn rank(&self) -> usize {
        match self {
            Communicator::Local => 0,
            #[cfg(feature = "mpi")]
            Communicator::Mpi(m) => {
                use mpi::traits::Communicator as _;
                m.world.rank() as usize
            }
        }
    }

    /// Number of processes.
    pub fn size(&self) -> usize {
        match self {
            Communicator::Local => 1,
            #[cfg(feature = "mpi")]
            Communicator::Mpi(m) => {
                use mpi::traits::Communicator as _;
                m.world.size() as usize
            }
        }
    }

    /// Wait until every rank is here.
    pub fn barrier(&self) {
        match self {
            Communicator::Local => {}
            #[cfg(feature = "mpi")]
            Communicator::Mpi(m) => {
                use mpi::traits::CommunicatorCollectives as _;
                m.world.barrier();
            }
        }
    }

    /// All-gather of variable-length `u32` arrays: every rank gets the concatenation of all
    /// ranks' `send` in rank order, and where each rank's part starts (`size + 1` offsets).
    pub fn all_gather_u32(&self, send: &[u32]) -> (Vec<u32>, Vec<usize>) {
        match self {
            Communicator::Local => (send.to_vec(), vec![0, send.len()]),
            #[cfg(feature = "mpi")]
            Communicator::Mpi(m) => m.all_gather_var(send, 0u32),
        }
    }

    /// [`Communicator::all_gather_u32`] for `f64`.
    pub fn all_gather_f64(&self, send: &[f64]) -> (Vec<f64>, Vec<usize>) {
        match self {
            Communicator::Local => (send.to_vec(), vec![0, send.len()]),
            #[cfg(feature = "mpi")]
            Communicator::Mpi(m) => m.all_gather_var(send, 0f64),
        }
    }

    /// [`Communicator::all_gather_u32`] for bytes.
    pub fn all_gather_u8(&self, send: &[u8]) -> (Vec<u8>, Vec<usize>) {
        match self {
            Communicator::Local => (send.to_vec(), vec![0, send.len()]),
            #[cfg(feature = "mpi")]
            Communicator::Mpi(m) => m.all_gather_var(send, 0u8),
        }
    }

    /// Sum over ranks (integers: exact, independent of order).
    pub fn sum_u64(&self, x: u64) -> u64 {
        match self {
            Communicator::Local => x,
            #[cfg(feature = "mpi")]
            Communicator::Mpi(m) => {
                use mpi::collective::SystemOperation;
                use mpi::traits::CommunicatorCollectives as _;
                let mut out = 0u64;
                m.world
                    .all_reduce_into(&x, &mut out, SystemOperation::sum());
                out
            }
        }
    }

    /// Minimum over ranks.
    pub fn min_u64(&self, x: u64) -> u64 {
        match self {
            Communicator::Local => x,
            #[cfg(feature = "mpi")]
            Communicator::Mpi(m) => {
                use mpi::collective::SystemOperation;
                use mpi::traits::CommunicatorCollectives as _;
                let mut out = 0u64;
                m.world
                    .all_reduce_into(&x, &mut out, SystemOperation::min());
                out
            }
        }
    }

    /// Maximum over ranks.
    pub fn max_f64(&self, x: f64) -> f64 {
        match self {
            Communicator::Local => x,
            #[cfg(feature = "mpi")]
            Communicator::Mpi(m) => {
                use mpi::collective::SystemOperation;
                use mpi::traits::CommunicatorCollectives as _;
                let mut out = 0f64;
                m.world
                    .all_reduce_into(&x, &mut out, SystemOperation::max());
                out
            }
        }
    }

    /// The "did any rank fail?" agreement: every rank passes its own error (or `None`) and gets
    /// back the error of the lowest failing rank, with that rank, so that all ranks stop with
    /// the same message. Every rank must call it at the same point.
    pub fn agree(&self, err: Option<&str>) -> Option<(usize, String)> {
        if self.size() == 1 {
            return err.map(|e| (0, e.to_string()));
        }
        // A leading 1 marks a failure (an error message may be empty).
        let mut msg = Vec::new();
        if let Some(e) = err {
            msg.push(1u8);
            msg.extend_from_slice(e.as_bytes());
        }
        let (all, at) = self.all_gather_u8(&msg);
        (0..self.size()).find_map(|r| {
            let part = &all[at[r]..at[r + 1]];
            (!part.is_empty()).then(|| (r, String::from_utf8_lossy(&part[1..]).into_owned()))
        })
    }
}

#[cfg(feature = "mpi")]
impl MpiComm {
    fn all_gather_var<T: mpi::datatype::Equivalence + Copy>(
        &self,
        send: &[T],
        zero: T,
    ) -> (Vec<T>, Vec<usize>) {
        use mpi::datatype::PartitionMut;
        use mpi::traits::Communicator as _;
        use mpi::traits::CommunicatorCollectives as _;
        let size = self.world.size() as usize;
        let n = i32::try_from(send.len()).expect("one rank sends fewer than 2^31 values");
        let mut counts = vec![0i32; size];
        self.world.all_gather_into(&n, &mut counts[..]);
        let mut at = vec![0usize; size + 1];
        for r in 0..size {
            at[r + 1] = at[r] + counts[r] as usize;
        }
        let displs: Vec<i32> = at[..size]
            .iter()
            .map(|&a| i32::try_from(a).expect("fewer than 2^31 values gathered"))
            .collect();
        // Empty buffers must not pass Rust's dangling pointer: for bytes it is 0x1, which is
        // Open MPI's MPI_IN_PLACE. Point them into real storage instead.
        let dummy = [zero];
        let send = if send.is_empty() { &dummy[..0] } else { send };
        let mut out = vec![zero; at[size].max(1)];
        {
            let mut part = PartitionMut::new(&mut out[..at[size]], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(send, &mut part);
        }
        out.truncate(at[size]);
        (out, at)
    }
}

/// Wall-clock seconds spent in collectives, accumulated by the caller around each call.
#[derive(Clone, Copy, Debug, Default)]
pub struct CommTime {
    /// Seconds in collectives.
    pub seconds: f64,
    /// Number of collective exchanges.
    pub calls: u64,
    /// Bytes this rank sent.
    pub bytes_sent: u64,
    /// Bytes this rank received (its own part included).
    pub bytes_received: u64,
}

impl CommTime {
    /// Time `f`, adding to the total.
    pub fn time<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let t0 = Instant::now();
        let r = f();
        self.seconds += t0.elapsed().as_secs_f64();
        self.calls += 1;
        r
    }
}
