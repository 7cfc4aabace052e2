//! `.npy` / `.npz` reading with run-time dtype detection, and `.npz` writing.

use crate::{AtomicFile, IoError};
use ndarray::{ArrayBase, ArrayD, Data, Dimension};
use ndarray_npy::{
    NpzReader, ReadNpyError, ReadNpyExt, ReadNpzError, ReadableElement, WritableElement,
    WriteNpyExt,
};
use std::io::Cursor;
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

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

/// Most opening brackets (`{`, `(`, `[`) a `.npy` header may hold. NumPy writes two for the
/// arrays glia reads (the dictionary and the shape tuple). The header parser ndarray-npy uses
/// (py_literal) takes time exponential in unbalanced brackets: a corrupt 136-byte header with a
/// dozen took seconds per dtype tried (found by the `npy` fuzz target), so more are refused
/// before parsing.
const MAX_HEADER_BRACKETS: usize = 8;

/// Refuse a `.npy` header (the start of `bytes`) with more than [`MAX_HEADER_BRACKETS`]
/// opening brackets; anything else is left to ndarray-npy to accept or report.
fn check_header(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Ok(());
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        _ if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Ok(()),
    };
    let header = &bytes[start..start.saturating_add(len).min(bytes.len())];
    let open = header
        .iter()
        .filter(|&&b| matches!(b, b'{' | b'(' | b'['))
        .count();
    if open > MAX_HEADER_BRACKETS {
        return Err(format!(
            "malformed .npy header: {open} opening brackets (NumPy writes 2 for a plain array; structured dtypes are not supported)"
        ));
    }
    Ok(())
}

/// [`check_header`] of the `.npz` entry `entry`, reading only the start of it.
fn check_entry_header(bytes: &[u8], entry: &str) -> Result<(), String> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    // ndarray-npy lists entries without their `.npy` suffix
    let Some(i) = z
        .index_for_name(entry)
        .or_else(|| z.index_for_name(&format!("{entry}.npy")))
    else {
        return Ok(()); // not there: ndarray-npy reports it
    };
    let f = z.by_index(i).map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    f.take(1 << 16)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    check_header(&head)
}

/// Read a `.npy` file of any supported dtype.
pub fn read_array(path: &Path) -> Result<Shaped, IoError> {
    parse_npy(&read_bytes(path)?, path)
}

/// Parse the contents of a `.npy` file (what [`read_array`] does with the bytes it reads);
/// `path` names the source in errors.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<Shaped, IoError> {
    check_header(bytes).map_err(|m| format_err(path, None, m))?;
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
        check_entry_header(bytes, &entry).map_err(|m| format_err(path, Some(&name), m))?;
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
    check_entry_header(&bytes, &entry).map_err(|m| format_err(path, Some(name), m))?;
    let r: Result<Shaped, String> = try_all!(z.by_name(&entry).map_err(npz_err));
    r.map(Some).map_err(|m| format_err(path, Some(name), m))
}

/// An `.npz` file being written atomically (uncompressed, readable by `numpy.load`).
///
/// Arrays are added whole ([`NpzOut::add`]) or streamed ([`NpzOut::add_streamed`]: the length
/// first, then the elements in pieces, so an array larger than memory can be written); both give
/// the bytes `ndarray_npy::NpzWriter` writes (stored zip entries, `.npy` version 1.0 headers).
pub struct NpzOut {
    path: std::path::PathBuf,
    file: AtomicFile,
    zip: Option<ZipWriter<std::io::BufWriter<std::fs::File>>>,
}

/// Element types [`NpzOut::add_streamed`] writes (little-endian, as [`NpzOut::add`] does).
pub trait StreamElement: Copy {
    /// NumPy's `descr` of the type.
    const DESCR: &'static str;
    /// Append the little-endian bytes of `xs` to `out`.
    fn extend_le(xs: &[Self], out: &mut Vec<u8>);
}

macro_rules! stream_element {
    ($t:ty, $d:literal) => {
        impl StreamElement for $t {
            const DESCR: &'static str = $d;
            fn extend_le(xs: &[Self], out: &mut Vec<u8>) {
                out.reserve(xs.len() * std::mem::size_of::<$t>());
                for x in xs {
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
    };
}
stream_element!(f64, "<f8");
stream_element!(f32, "<f4");
stream_element!(u32, "<u4");
stream_element!(i64, "<i8");
stream_element!(u64, "<u8");

/// The `.npy` (version 1.0) header of a 1-D array of `len` elements of type `descr`, as
/// ndarray-npy and NumPy write it: the dictionary, padded with spaces and a newline to a
/// multiple of 64 bytes.
fn npy_header_1d(descr: &str, len: u64) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({len},)}}");
    // magic (6) + version (2) + header length (2) + dict + newline, padded to 64
    let unpadded = 10 + dict.len() + 1;
    let total = unpadded + (64 - unpadded % 64);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// Writes the elements of a streamed array; counts them so a wrong total is an error.
pub struct ArrayStream<'a, T: StreamElement> {
    zip: &'a mut ZipWriter<std::io::BufWriter<std::fs::File>>,
    left: u64,
    buf: Vec<u8>,
    _t: std::marker::PhantomData<T>,
}

impl<T: StreamElement> ArrayStream<'_, T> {
    /// Append `xs` to the array.
    pub fn write(&mut self, xs: &[T]) -> std::io::Result<()> {
        use std::io::Write;
        if xs.len() as u64 > self.left {
            return Err(std::io::Error::other(format!(
                "{} more elements than announced",
                xs.len() as u64 - self.left
            )));
        }
        self.left -= xs.len() as u64;
        self.buf.clear();
        T::extend_le(xs, &mut self.buf);
        self.zip.write_all(&self.buf)
    }
}

impl NpzOut {
    /// Start writing `path`.
    pub fn create(path: &Path) -> Result<Self, IoError> {
        let mut file = AtomicFile::create(path)?;
        let zip = ZipWriter::new(file.take());
        Ok(Self {
            path: path.to_path_buf(),
            file,
            zip: Some(zip),
        })
    }

    fn start(
        &mut self,
        name: &str,
    ) -> Result<&mut ZipWriter<std::io::BufWriter<std::fs::File>>, IoError> {
        let zip = self.zip.as_mut().expect("NpzOut used after finish");
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        zip.start_file(format!("{name}.npy"), options)
            .map_err(|e| format_err(&self.path, Some(name), e.to_string()))?;
        Ok(zip)
    }

    /// Add an array under `name`.
    pub fn add<T, S, D>(&mut self, name: &str, array: &ArrayBase<S, D>) -> Result<(), IoError>
    where
        T: WritableElement,
        S: Data<Elem = T>,
        D: Dimension,
    {
        let path = self.path.clone();
        let zip = self.start(name)?;
        array
            .write_npy(std::io::BufWriter::new(zip))
            .map_err(|e| format_err(&path, Some(name), e.to_string()))
    }

    /// Add a 1-D array of `len` elements under `name`, its elements written by `fill` in as
    /// many pieces as it likes ([`ArrayStream::write`]); writing more or fewer than `len`
    /// elements is an error.
    pub fn add_streamed<T: StreamElement>(
        &mut self,
        name: &str,
        len: u64,
        fill: impl FnOnce(&mut ArrayStream<'_, T>) -> std::io::Result<()>,
    ) -> Result<(), IoError> {
        use std::io::Write;
        let path = self.path.clone();
        let err = |e: std::io::Error| format_err(&path, Some(name), e.to_string());
        let zip = self.start(name)?;
        zip.write_all(&npy_header_1d(T::DESCR, len)).map_err(err)?;
        let mut s = ArrayStream {
            zip,
            left: len,
            buf: Vec::new(),
            _t: std::marker::PhantomData,
        };
        fill(&mut s).map_err(err)?;
        if s.left != 0 {
            return Err(err(std::io::Error::other(format!(
                "{} elements fewer than announced",
                s.left
            ))));
        }
        Ok(())
    }

    /// Finish the archive and move it to its final name.
    pub fn finish(mut self) -> Result<(), IoError> {
        use std::io::Write;
        let zip = self.zip.take().expect("NpzOut finished twice");
        let mut w = zip
            .finish()
            .map_err(|e| format_err(&self.path, None, e.to_string()))?;
        w.flush()
            .map_err(|e| format_err(&self.path, None, e.to_string()))?;
        self.file.restore(w);
        self.file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};

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

    /// `add` writes what `ndarray_npy::NpzWriter` writes, and `add_streamed` (in pieces of any
    /// size) writes the same bytes as `add`, for lengths around the 64-byte header padding.
    #[test]
    fn streamed_arrays_are_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0usize, 1, 2, 7, 9, 10, 99, 100, 1000, 123_457] {
            let f: Vec<f64> = (0..n).map(|i| i as f64 * 0.1 - 3.0).collect();
            let u: Vec<u32> = (0..n).map(|i| (i * 7919) as u32).collect();
            let whole = dir.path().join("whole.npz");
            let mut z = NpzOut::create(&whole).unwrap();
            z.add("pop.times", &Array1::from(f.clone())).unwrap();
            z.add("pop.ids", &Array1::from(u.clone())).unwrap();
            z.finish().unwrap();

            let reference = dir.path().join("ref.npz");
            let mut r = ndarray_npy::NpzWriter::new(std::fs::File::create(&reference).unwrap());
            r.add_array("pop.times", &Array1::from(f.clone())).unwrap();
            r.add_array("pop.ids", &Array1::from(u.clone())).unwrap();
            r.finish().unwrap();

            let streamed = dir.path().join("streamed.npz");
            let mut z = NpzOut::create(&streamed).unwrap();
            z.add_streamed::<f64>("pop.times", n as u64, |s| {
                for c in f.chunks(1 + n / 3) {
                    s.write(c)?;
                }
                Ok(())
            })
            .unwrap();
            z.add_streamed::<u32>("pop.ids", n as u64, |s| {
                for c in u.chunks(4096) {
                    s.write(c)?;
                }
                Ok(())
            })
            .unwrap();
            z.finish().unwrap();

            let w = std::fs::read(&whole).unwrap();
            assert_eq!(
                w,
                std::fs::read(&reference).unwrap(),
                "n = {n}: add vs NpzWriter"
            );
            assert_eq!(
                w,
                std::fs::read(&streamed).unwrap(),
                "n = {n}: streamed vs add"
            );
        }
    }

    #[test]
    fn streamed_array_of_the_wrong_length_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        let mut z = NpzOut::create(&p).unwrap();
        let e = z
            .add_streamed::<u32>("x", 3, |s| s.write(&[1, 2]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("(array 'x')") && e.contains("1 elements fewer"),
            "{e}"
        );
        let e = z
            .add_streamed::<u32>("y", 1, |s| s.write(&[1, 2]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("1 more elements"), "{e}");
        drop(z);
        assert!(!p.exists());
    }

    /// Regression (issue 12, `npy` fuzz target): a header with a dozen unbalanced brackets
    /// made ndarray-npy's header parser take seconds per dtype tried; it is refused at once,
    /// in `.npy` files and `.npz` entries alike.
    #[test]
    fn header_with_many_brackets_is_refused_quickly() {
        let slow: &[u8] = include_bytes!(
            "../../../fuzz/regressions/npy/slow-unit-110f4d4f5f2a0e9622923c14844b3790e2a4e843"
        );
        let t0 = std::time::Instant::now();
        let e = parse_npy(slow, Path::new("slow.npy"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("malformed .npy header"), "{e}");
        assert!(t0.elapsed().as_secs_f64() < 2.0, "{:?}", t0.elapsed());

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        {
            use std::io::Write;
            let mut z = ZipWriter::new(std::fs::File::create(&p).unwrap());
            z.start_file("w.npy", SimpleFileOptions::default()).unwrap();
            z.write_all(slow).unwrap();
            z.finish().unwrap();
        }
        let bytes = std::fs::read(&p).unwrap();
        let e = parse_npz(&bytes, &p).unwrap_err().to_string();
        assert!(e.contains("(array 'w')") && e.contains("malformed"), "{e}");
        let e = read_npz_array(&p, "w").unwrap_err().to_string();
        assert!(e.contains("malformed"), "{e}");
        assert!(t0.elapsed().as_secs_f64() < 4.0, "{:?}", t0.elapsed());
        // a plain header passes the check
        let mut ok = Vec::new();
        Array1::from(vec![1.0f64]).write_npy(&mut ok).unwrap();
        assert!(check_header(&ok).is_ok());
    }
}
