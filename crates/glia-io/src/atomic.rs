//! Files that appear under their final name only when complete.

use crate::IoError;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file written under a temporary name (`.NAME.partial` in the same directory) and renamed to
/// its final name by [`AtomicFile::commit`]. Dropped without `commit`, the temporary is removed.
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Start writing `dest`.
    pub fn create(dest: &Path) -> Result<Self, IoError> {
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dest.with_file_name(format!(".{name}.partial"));
        let file = File::create(&tmp).map_err(|source| IoError::Io {
            path: tmp.clone(),
            source,
        })?;
        Ok(Self {
            tmp,
            dest: dest.to_path_buf(),
            writer: Some(BufWriter::new(file)),
        })
    }

    /// The writer for the contents.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("AtomicFile used after commit")
    }

    /// Flush, sync and rename to the final name.
    pub fn commit(mut self) -> Result<(), IoError> {
        let w = self.writer.take().expect("AtomicFile committed twice");
        let err = |source| IoError::Io {
            path: self.tmp.clone(),
            source,
        };
        let file = w.into_inner().map_err(|e| err(e.into_error()))?;
        file.sync_all().map_err(err)?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest).map_err(|source| IoError::Io {
            path: self.dest.clone(),
            source,
        })
    }

    /// Take the underlying buffered file (for writers that need ownership); give it back with
    /// [`AtomicFile::restore`] before committing.
    pub(crate) fn take(&mut self) -> BufWriter<File> {
        self.writer.take().expect("AtomicFile used after commit")
    }

    pub(crate) fn restore(&mut self, w: BufWriter<File>) {
        self.writer = Some(w);
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.is_some() || self.tmp.exists() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Write a JSON value, pretty-printed, atomically.
pub fn write_json_atomic(dest: &Path, value: &serde_json::Value) -> Result<(), IoError> {
    let mut f = AtomicFile::create(dest)?;
    serde_json::to_writer_pretty(f.writer(), value).map_err(|e| IoError::Io {
        path: dest.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    f.writer().write_all(b"\n").map_err(|source| IoError::Io {
        path: dest.to_path_buf(),
        source,
    })?;
    f.commit()
}
