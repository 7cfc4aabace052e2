//! `.npy` / `.npz` reading with run-time dtype detection, and `.npz` writing.

use crate::{AtomicFile, IoError};
use ndarray::{ArrayBase, ArrayD, Data, Dimension};
use ndarray_npy::{
    NpzReader, NpzWriter, ReadNpyError, ReadNpyExt, ReadNpzError, ReadableElement, WritableElement,
};
use std::io::Cursor;
use std::path::Path;

/// An array read from disk, widened to `f64` (floating dtypes) or `i64` (integer and bool dtypes).
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayData {
    /// From `float64` or `float32`.
    Float(Vec<f64>),
    /// From a signed or unsigned integer or bool dtype (uint64 values above `i64::MAX` are
    /// rejected).
    Int(Vec<i64>),
}

impl ArrayData {
    /// The kind held, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            ArrayData::Float(_) => "float",
            ArrayData::Int(_) => "integer",
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            ArrayData::Float(v) => v.len(),
            ArrayData::Int(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An array with its shape.
pub type Shaped = (Vec<usize>, ArrayData);

/// Element types read from disk, and how each widens.
trait Widen: ReadableElement + Copy {
    fn widen(a: ArrayD<Self>) -> Result<ArrayData, String>;
}

macro_rules! widen_float {
    ($($t:ty),*) => {$(
        impl Widen for $t {
            fn widen(a: ArrayD<Self>) -> Result<ArrayData, String> {
                Ok(ArrayData::Float(a.iter().map(|&x| f64::from(x)).collect()))
            }
        }
    )*};
}
macro_rules! widen_int {
    ($($t:ty),*) => {$(
        impl Widen for $t {
            fn widen(a: ArrayD<Self>) -> Result<ArrayData, String> {
                a.iter()
                    .map(|&x| i64::try_from(x).map_err(|_| format!("integer value {x} does not fit in int64")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(ArrayData::Int)
            }
        }
    )*};
}
widen_float!(f64, f32);
widen_int!(i64, i32, i16, i8, u64, u32, u16, u8);
impl Widen for bool {
    fn widen(a: ArrayD<Self>) -> Result<ArrayData, String> {
        Ok(ArrayData::Int(a.iter().map(|&x| i64::from(x)).collect()))
    }
}

enum Attempt {
    Done(Result<Shaped, String>),
    WrongType,
}

/// Read one element type with `read`; `WrongType` means "try the next dtype".
fn attempt<T: Widen>(read: impl FnOnce() -> Result<ArrayD<T>, Option<String>>) -> Attempt {
    match read() {
        Ok(a) => {
            let shape = a.shape().to_vec();
            Attempt::Done(T::widen(a).map(|d| (shape, d)))
        }
        Err(None) => Attempt::WrongType,
        Err(Some(e)) => Attempt::Done(Err(e)),
    }
}

/// Try every supported dtype with `read::<T>()`.
macro_rules! try_all {
    ($read:expr) => {{
        let mut out = Err(
            "unsupported dtype: expected float64, float32, a signed or unsigned integer, or bool"
                .to_string(),
        );
        'kinds: {
            macro_rules! one {
                ($t:ty) => {
                    if let Attempt::Done(r) = attempt::<$t>(|| $read) {
                        out = r;
                        break 'kinds;
                    }
                };
            }
            one!(f64);
            one!(f32);
            one!(i64);
            one!(i32);
            one!(i16);
            one!(i8);
            one!(u64);
            one!(u32);
            one!(u16);
            one!(u8);
            one!(bool);
        }
        out
    }};
}

fn npy_err(e: ReadNpyError) -> Option<String> {
    match e {
        ReadNpyError::WrongDescriptor(_) => None,
        e => Some(e.to_string()),
    }
}

fn npz_err(e: ReadNpzError) -> Option<String> {
    match e {
        ReadNpzError::Npy(ReadNpyError::WrongDescriptor(_)) => None,
        e => Some(e.to_string()),
    }
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, IoError> {
    std::fs::read(path).map_err(|source| IoError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn format_err(path: &Path, array: Option<&str>, message: String) -> IoError {
    IoError::Format {
        path: path.to_path_buf(),
        array: array.map(str::to_string),
        message,
    }
}

/// Read a `.npy` file of any supported dtype.
pub fn read_array(path: &Path) -> Result<Shaped, IoError> {
    parse_npy(&read_bytes(path)?, path)
}

/// Parse the contents of a `.npy` file (what [`read_array`] does with the bytes it reads);
/// `path` names the source in errors.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<Shaped, IoError> {
    let r: Result<Shaped, String> = try_all!(ArrayD::read_npy(Cursor::new(bytes)).map_err(npy_err));
    r.map_err(|m| format_err(path, None, m))
}

/// Parse every array of the contents of a `.npz` file, in the file's order (names without the
/// `.npy` suffix); `path` names the source in errors.
pub fn parse_npz(bytes: &[u8], path: &Path) -> Result<Vec<(String, Shaped)>, IoError> {
    let mut z =
        NpzReader::new(Cursor::new(bytes)).map_err(|e| format_err(path, None, e.to_string()))?;
    let names = z
        .names()
        .map_err(|e| format_err(path, None, e.to_string()))?;
    let mut out = Vec::with_capacity(names.len());
    for entry in names {
        let name = entry.strip_suffix(".npy").unwrap_or(&entry).to_string();
        let r: Result<Shaped, String> = try_all!(z.by_name(&entry).map_err(npz_err));
        out.push((
            name.clone(),
            r.map_err(|m| format_err(path, Some(&name), m))?,
        ));
    }
    Ok(out)
}

/// The array names in a `.npz` file (without the `.npy` suffix).
pub fn npz_names(path: &Path) -> Result<Vec<String>, IoError> {
    let bytes = read_bytes(path)?;
    let mut z =
        NpzReader::new(Cursor::new(&bytes)).map_err(|e| format_err(path, None, e.to_string()))?;
    let names = z
        .names()
        .map_err(|e| format_err(path, None, e.to_string()))?;
    Ok(names
        .into_iter()
        .map(|n| n.strip_suffix(".npy").map(str::to_string).unwrap_or(n))
        .collect())
}

/// Read the array `name` from a `.npz` file; `Ok(None)` if the file has no such array.
pub fn read_npz_array(path: &Path, name: &str) -> Result<Option<Shaped>, IoError> {
    let bytes = read_bytes(path)?;
    let mut z =
        NpzReader::new(Cursor::new(&bytes)).map_err(|e| format_err(path, None, e.to_string()))?;
    let names = z
        .names()
        .map_err(|e| format_err(path, None, e.to_string()))?;
    let Some(entry) = names
        .into_iter()
        .find(|n| n == name || n.strip_suffix(".npy") == Some(name))
    else {
        return Ok(None);
    };
    let r: Result<Shaped, String> = try_all!(z.by_name(&entry).map_err(npz_err));
    r.map(Some).map_err(|m| format_err(path, Some(name), m))
}

/// An `.npz` file being written atomically (uncompressed, readable by `numpy.load`).
pub struct NpzOut {
    path: std::path::PathBuf,
    file: AtomicFile,
    npz: Option<NpzWriter<std::io::BufWriter<std::fs::File>>>,
}

impl NpzOut {
    /// Start writing `path`.
    pub fn create(path: &Path) -> Result<Self, IoError> {
        let mut file = AtomicFile::create(path)?;
        let npz = NpzWriter::new(file.take());
        Ok(Self {
            path: path.to_path_buf(),
            file,
            npz: Some(npz),
        })
    }

    /// Add an array under `name`.
    pub fn add<T, S, D>(&mut self, name: &str, array: &ArrayBase<S, D>) -> Result<(), IoError>
    where
        T: WritableElement,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let npz = self.npz.as_mut().expect("NpzOut used after finish");
        npz.add_array(name, array)
            .map_err(|e| format_err(&self.path, Some(name), e.to_string()))
    }

    /// Finish the archive and move it to its final name.
    pub fn finish(mut self) -> Result<(), IoError> {
        let npz = self.npz.take().expect("NpzOut finished twice");
        let w = npz
            .finish()
            .map_err(|e| format_err(&self.path, None, e.to_string()))?;
        self.file.restore(w);
        self.file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};
    use ndarray_npy::WriteNpyExt;

    #[test]
    fn roundtrip_and_dtypes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        let mut out = NpzOut::create(&p).unwrap();
        out.add("x", &Array1::from(vec![1.5f64, 2.5])).unwrap();
        out.add("ids", &Array1::from(vec![3u32, 4])).unwrap();
        out.add("m", &Array2::<f32>::zeros((2, 3))).unwrap();
        out.finish().unwrap();
        assert!(!dir.path().join(".a.npz.partial").exists());
        let mut names = npz_names(&p).unwrap();
        names.sort();
        assert_eq!(names, ["ids", "m", "x"]);
        assert_eq!(
            read_npz_array(&p, "x").unwrap().unwrap(),
            (vec![2], ArrayData::Float(vec![1.5, 2.5]))
        );
        assert_eq!(
            read_npz_array(&p, "ids").unwrap().unwrap(),
            (vec![2], ArrayData::Int(vec![3, 4]))
        );
        assert_eq!(read_npz_array(&p, "m").unwrap().unwrap().0, vec![2, 3]);
        assert!(read_npz_array(&p, "nope").unwrap().is_none());

        let q = dir.path().join("b.npy");
        Array1::from(vec![-7i16, 9])
            .write_npy(std::fs::File::create(&q).unwrap())
            .unwrap();
        assert_eq!(
            read_array(&q).unwrap(),
            (vec![2], ArrayData::Int(vec![-7, 9]))
        );

        let bad = dir.path().join("bad.npy");
        std::fs::write(&bad, b"\x93NUMPY garbage").unwrap();
        let e = read_array(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.npy"), "{e}");
        let missing = read_array(&dir.path().join("missing.npy"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("missing.npy"), "{missing}");
    }

    #[test]
    fn abandoned_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.npz");
        {
            let mut out = NpzOut::create(&p).unwrap();
            out.add("x", &Array1::from(vec![1.0f64])).unwrap();
        }
        assert!(!p.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
