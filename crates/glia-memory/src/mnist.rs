//! MNIST in the IDX format (LeCun et al.), gzip-compressed or plain.
//!
//! [`Mnist::load`] reads `train-images-idx3-ubyte(.gz)`, `train-labels-idx1-ubyte(.gz)`,
//! `t10k-images-idx3-ubyte(.gz)` and `t10k-labels-idx1-ubyte(.gz)` from one folder.
//! [`default_dir`] is where the project keeps them (`$GLIA_MNIST_DIR`, else
//! `../shared/data/mnist` beside the repository); tests that need the data skip when it is
//! absent.

use crate::error::{MemoryError, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Images (row-major bytes, 0–255) and labels of one split.
#[derive(Clone, Debug)]
pub struct Split {
    /// `len() × rows × cols` bytes.
    pub images: Vec<u8>,
    /// One label (0–9) per image.
    pub labels: Vec<u8>,
}

impl Split {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// The MNIST training and test splits.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
    /// 60 000 training images.
    pub train: Split,
    /// 10 000 test images.
    pub test: Split,
}

/// `$GLIA_MNIST_DIR` if set, else `<repository>/../shared/data/mnist`.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("GLIA_MNIST_DIR") {
        return PathBuf::from(d);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist")
}

fn read_file(dir: &Path, stem: &str) -> Result<Vec<u8>> {
    let plain = dir.join(stem);
    let gz = dir.join(format!("{stem}.gz"));
    let (path, zipped) = if gz.exists() {
        (gz, true)
    } else {
        (plain, false)
    };
    let err = |why: String| MemoryError::Data {
        path: path.display().to_string(),
        why,
    };
    let raw = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
    if zipped {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| err(format!("gzip: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn be32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// Parses an IDX file of unsigned bytes with `dims` dimensions; returns the sizes and the data.
/// `name` names the file in errors.
pub fn parse_idx(b: &[u8], dims: usize, name: &str) -> Result<(Vec<usize>, Vec<u8>)> {
    let bad = |why: &str| MemoryError::Data {
        path: name.to_string(),
        why: why.to_string(),
    };
    let head = 4 + 4 * dims;
    if b.len() < head {
        return Err(bad("shorter than its header"));
    }
    if b[0] != 0 || b[1] != 0 || b[2] != 0x08 || usize::from(b[3]) != dims {
        return Err(bad(
            "not an IDX file of unsigned bytes with the expected dimensions",
        ));
    }
    let sizes: Vec<usize> = (0..dims).map(|d| be32(b, 4 + 4 * d)).collect();
    // the sizes come from the file: their product may overflow usize
    let total = sizes.iter().try_fold(1usize, |a, &s| a.checked_mul(s));
    if total.and_then(|t| t.checked_add(head)) != Some(b.len()) {
        return Err(bad("length does not match the sizes in its header"));
    }
    Ok((sizes, b[head..].to_vec()))
}

fn load_split(dir: &Path, images: &str, labels: &str) -> Result<(usize, usize, Split)> {
    let (isz, img) = parse_idx(&read_file(dir, images)?, 3, images)?;
    let (lsz, lab) = parse_idx(&read_file(dir, labels)?, 1, labels)?;
    if let Some((i, l)) = lab.iter().enumerate().find(|(_, l)| **l > 9) {
        return Err(MemoryError::Data {
            path: dir.join(labels).display().to_string(),
            why: format!("label {l} of image {i} is not a digit 0–9"),
        });
    }
    if isz[0] != lsz[0] {
        return Err(MemoryError::Data {
            path: dir.display().to_string(),
            why: format!("{} images but {} labels", isz[0], lsz[0]),
        });
    }
    Ok((
        isz[1],
        isz[2],
        Split {
            images: img,
            labels: lab,
        },
    ))
}

impl Mnist {
    /// Loads both splits from `dir`. Errors: missing or malformed files (naming the file).
    pub fn load(dir: &Path) -> Result<Self> {
        let (rows, cols, train) =
            load_split(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
        let (_, _, test) = load_split(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
        Ok(Self {
            rows,
            cols,
            train,
            test,
        })
    }

    /// Pixels per image.
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }
}

/// Binarises an image: `+1` where the pixel is above `threshold` (0–255), `−1` elsewhere.
pub fn binarize(image: &[u8], threshold: u8) -> Vec<i8> {
    image
        .iter()
        .map(|&p| if p > threshold { 1 } else { -1 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idx_header_sizes_that_overflow_are_an_error_not_a_panic() {
        let mut b = vec![0, 0, 8, 3];
        for _ in 0..3 {
            b.extend_from_slice(&u32::MAX.to_be_bytes());
        }
        let e = parse_idx(&b, 3, "x-idx3-ubyte").unwrap_err().to_string();
        assert!(e.contains("x-idx3-ubyte") && e.contains("length"), "{e}");
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        for d in dims {
            b.extend_from_slice(&d.to_be_bytes());
        }
        b.extend_from_slice(data);
        b
    }

    /// Writes a 2-image training and 1-image test set (gzipped or plain) into `dir`.
    fn write_set(dir: &Path, zipped: bool, train_labels: &[u8]) {
        let files = [
            (
                "train-images-idx3-ubyte",
                idx(&[2, 2, 2], &[0, 1, 2, 3, 4, 5, 6, 7]),
            ),
            ("train-labels-idx1-ubyte", idx(&[2], train_labels)),
            ("t10k-images-idx3-ubyte", idx(&[1, 2, 2], &[9, 9, 9, 9])),
            ("t10k-labels-idx1-ubyte", idx(&[1], &[3])),
        ];
        for (name, bytes) in files {
            if zipped {
                std::fs::write(dir.join(format!("{name}.gz")), gz(&bytes)).unwrap();
            } else {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
    }

    #[test]
    fn loads_plain_and_gzipped_and_names_the_bad_file() {
        for zipped in [false, true] {
            let d = std::env::temp_dir()
                .join(format!("glia-mnist-test-{}-{zipped}", std::process::id()));
            std::fs::create_dir_all(&d).unwrap();
            write_set(&d, zipped, &[1, 7]);
            let m = Mnist::load(&d).unwrap();
            assert_eq!((m.rows, m.cols, m.train.len(), m.test.len()), (2, 2, 2, 1));
            assert_eq!(m.train.images[4..], [4, 5, 6, 7]);
            assert_eq!(m.test.labels, [3]);
            // A label that is not a digit.
            write_set(&d, zipped, &[1, 12]);
            let e = Mnist::load(&d).unwrap_err().to_string();
            assert!(
                e.contains("train-labels-idx1-ubyte") && e.contains("12"),
                "{e}"
            );
            // A truncated file.
            write_set(&d, zipped, &[1, 7]);
            let name = if zipped {
                "t10k-images-idx3-ubyte.gz"
            } else {
                "t10k-images-idx3-ubyte"
            };
            let full = std::fs::read(d.join(name)).unwrap();
            std::fs::write(d.join(name), &full[..full.len() - 3]).unwrap();
            let e = Mnist::load(&d).unwrap_err().to_string();
            assert!(e.contains("t10k-images-idx3-ubyte"), "{e}");
            // The labels file where the images should be (wrong magic: 1 dimension, not 3).
            write_set(&d, zipped, &[1, 7]);
            let lab = if zipped {
                gz(&idx(&[20], &[1; 20]))
            } else {
                idx(&[20], &[1; 20])
            };
            let img = if zipped {
                "train-images-idx3-ubyte.gz"
            } else {
                "train-images-idx3-ubyte"
            };
            std::fs::write(d.join(img), lab).unwrap();
            let e = Mnist::load(&d).unwrap_err().to_string();
            assert!(
                e.contains("train-images-idx3-ubyte") && e.contains("IDX"),
                "{e}"
            );
            // A missing file.
            std::fs::remove_file(d.join(img)).unwrap();
            let e = Mnist::load(&d).unwrap_err().to_string();
            assert!(e.contains("train-images-idx3-ubyte"), "{e}");
            std::fs::remove_dir_all(&d).unwrap();
        }
    }

    #[test]
    fn idx_round_trip_and_truncation() {
        let mut b = vec![0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9];
        assert_eq!(parse_idx(&b, 1, "l").unwrap(), (vec![3], vec![7, 8, 9]));
        b.pop();
        assert!(parse_idx(&b, 1, "l").is_err());
        assert!(parse_idx(&b[..5], 1, "l").is_err());
    }
}
