//! Streaming spike sink: the spike monitors of a long run keep a bounded buffer in memory and
//! spill it to disk in chunks, so that recording costs the same memory after an hour of
//! simulated time as after a second.
//!
//! Each [`crate::monitors::SpikeRecorder`] records into its vectors as usual; between steps
//! (every [`crate::health::CHECK_EVERY`] steps, see [`crate::health::run_checked_with`])
//! [`SpikeSink::drain`] appends the vectors of every recorder that holds at least
//! [`SpikeSink::chunk`] spikes to two scratch files in the output directory
//! (`.spikes.npz.R.steps.partial`, `.spikes.npz.R.ids.partial`: little-endian `u64` steps and
//! `u32` neuron ids) and clears them, keeping their capacity. At the end,
//! [`crate::output::write_outputs_streamed`] writes `spikes.npz` by reading the scratch files
//! back in pieces and then the vectors' remainder, through
//! [`glia_io::NpzOut::add_streamed`]: byte for byte the file the in-memory path writes, without
//! ever holding all spikes. The scratch files are removed when the sink is dropped (a run
//! killed outright leaves them behind, under their hidden names, never under a final name).
//!
//! Memory: at most `chunk` + the spikes of [`crate::health::CHECK_EVERY`] steps per recorder,
//! 12 bytes each (8 for the step, 4 for the id), plus 2 × 64 KiB of write buffers per recorder
//! that has spilled.

use crate::Network;
use glia_io::{ArrayStream, IoError};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Spikes a recorder buffers before spilling them (the default [`SpikeSink::chunk`]); the
/// memory estimate of `glia run` counts this many spikes per spike monitor.
pub const CHUNK_SPIKES: usize = glia_spec::estimate::STREAM_CHUNK_SPIKES;

/// Elements read back from a scratch file at a time.
const READ_PIECE: usize = 1 << 16;

/// The scratch files of one recorder.
struct Spill {
    steps_path: PathBuf,
    ids_path: PathBuf,
    steps: BufWriter<File>,
    ids: BufWriter<File>,
    /// Spikes written.
    n: u64,
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.steps_path);
        let _ = std::fs::remove_file(&self.ids_path);
    }
}

/// Spills the spike monitors of a network to scratch files in an output directory.
pub struct SpikeSink {
    dir: PathBuf,
    chunk: usize,
    spills: Vec<Option<Spill>>,
    scratch: Vec<u8>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> IoError + '_ {
    move |source| IoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl SpikeSink {
    /// A sink that spills into `dir` (created at the first spill) once a recorder holds
    /// `chunk` spikes (at least 1).
    pub fn new(dir: &Path, chunk: usize) -> Self {
        Self {
            dir: dir.to_path_buf(),
            chunk: chunk.max(1),
            spills: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Spikes a recorder buffers before spilling.
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// Spikes of recorder `r` (index in `net.monitors.spikes`) that are on disk.
    pub fn spilled(&self, r: usize) -> u64 {
        self.spills
            .get(r)
            .and_then(Option::as_ref)
            .map_or(0, |s| s.n)
    }

    /// Spill the buffered spikes of every recorder that holds at least [`Self::chunk`].
    pub fn drain(&mut self, net: &mut Network) -> Result<(), IoError> {
        for r in 0..net.monitors.spikes.len() {
            if net.monitors.spikes[r].steps.len() >= self.chunk {
                self.spill(net, r)?;
            }
        }
        Ok(())
    }

    /// Spill everything recorder `r` holds.
    fn spill(&mut self, net: &mut Network, r: usize) -> Result<(), IoError> {
        if self.spills.len() <= r {
            self.spills.resize_with(r + 1, || None);
        }
        if self.spills[r].is_none() {
            std::fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
            let steps_path = self.dir.join(format!(".spikes.npz.{r}.steps.partial"));
            let ids_path = self.dir.join(format!(".spikes.npz.{r}.ids.partial"));
            let open = |p: &Path| {
                File::create(p)
                    .map(|f| BufWriter::with_capacity(1 << 16, f))
                    .map_err(io_err(p))
            };
            let steps = open(&steps_path)?;
            let ids = open(&ids_path)?;
            self.spills[r] = Some(Spill {
                steps_path,
                ids_path,
                steps,
                ids,
                n: 0,
            });
        }
        let s = self.spills[r].as_mut().expect("created above");
        let rec = &mut net.monitors.spikes[r];
        self.scratch.clear();
        for k in &rec.steps {
            self.scratch.extend_from_slice(&k.to_le_bytes());
        }
        s.steps
            .write_all(&self.scratch)
            .map_err(io_err(&s.steps_path))?;
        self.scratch.clear();
        for i in &rec.ids {
            self.scratch.extend_from_slice(&i.to_le_bytes());
        }
        s.ids
            .write_all(&self.scratch)
            .map_err(io_err(&s.ids_path))?;
        s.n += rec.steps.len() as u64;
        rec.steps.clear();
        rec.ids.clear();
        Ok(())
    }

    /// Read back the spilled steps of recorder `r` in pieces, mapped through `f`, into `out`.
    pub(crate) fn stream_steps<T: glia_io::StreamElement>(
        &mut self,
        r: usize,
        out: &mut ArrayStream<'_, T>,
        f: impl Fn(u64) -> T,
    ) -> std::io::Result<()> {
        self.read_back(r, true, 8, out, |b| {
            f(u64::from_le_bytes(b.try_into().expect("8 bytes")))
        })
    }

    /// Read back the spilled ids of recorder `r` in pieces into `out`.
    pub(crate) fn stream_ids(
        &mut self,
        r: usize,
        out: &mut ArrayStream<'_, u32>,
    ) -> std::io::Result<()> {
        self.read_back(r, false, 4, out, |b| {
            u32::from_le_bytes(b.try_into().expect("4 bytes"))
        })
    }

    fn read_back<T: glia_io::StreamElement>(
        &mut self,
        r: usize,
        steps: bool,
        width: usize,
        out: &mut ArrayStream<'_, T>,
        decode: impl Fn(&[u8]) -> T,
    ) -> std::io::Result<()> {
        let Some(Some(s)) = self.spills.get_mut(r) else {
            return Ok(());
        };
        let (w, path) = if steps {
            (&mut s.steps, &s.steps_path)
        } else {
            (&mut s.ids, &s.ids_path)
        };
        w.flush()?;
        let mut rd = BufReader::with_capacity(1 << 16, File::open(path)?);
        let mut left = s.n;
        let mut bytes = vec![0u8; READ_PIECE * width];
        let mut vals = Vec::with_capacity(READ_PIECE);
        while left > 0 {
            let n = (left as usize).min(READ_PIECE);
            rd.read_exact(&mut bytes[..n * width])?;
            vals.clear();
            vals.extend(bytes[..n * width].chunks_exact(width).map(&decode));
            out.write(&vals)?;
            left -= n as u64;
        }
        Ok(())
    }
}
